#include <gtest/gtest.h>

#include "recorder/ingest/ingest.h"

namespace discrec::recorder::ingest {
namespace {

TEST(SourceUrlTest, AcceptsTheSourcesFfmpegUsersWrite) {
  struct Case {
    const char* url;
    SourceKind kind;
  } cases[] = {
      {"/tmp/a.ts", SourceKind::kFile},
      {"relative/clip.mp4", SourceKind::kFile},
      {"file:/tmp/a.ts", SourceKind::kFile},
      {"udp://127.0.0.1:1234", SourceKind::kNetwork},
      {"udp://239.1.1.1:5000?localaddr=127.0.0.1", SourceKind::kNetwork},
      {"udp://@:5000", SourceKind::kNetwork},
      {"rtp://127.0.0.1:5004", SourceKind::kNetwork},
      {"rtsp://camera.local:554/stream1", SourceKind::kNetwork},
      {"rtsp://0.0.0.0:8554/live", SourceKind::kNetwork},
      {"http://example.com/live.ts", SourceKind::kNetwork},
      {"https://example.com/live.ts", SourceKind::kNetwork},
      {"srt://127.0.0.1:9000?mode=caller", SourceKind::kNetwork},
      {"/tmp/session.sdp", SourceKind::kNetwork},
  };
  for (const auto& c : cases) {
    auto kind = classify_source_url(c.url);
    ASSERT_TRUE(kind.ok()) << c.url << ": " << kind.error().to_string();
    EXPECT_EQ(*kind, c.kind) << c.url;
    EXPECT_TRUE(validate_source_url(c.url).ok()) << c.url;
  }
}

TEST(SourceUrlTest, RejectsMalformedUrlsWithInvalidArgument) {
  const char* bad[] = {
      "",
      "ftp://example.com/a.ts",
      "gopher://x:70/",
      "udp://127.0.0.1",
      "udp://127.0.0.1:70000",
      "srt://host",
      "http:///nohost",
      "rtsp://bad host:554/",
      "pipe:abc",
      "pipe:9",  // the daemon's own descriptors: only IngestOptions::input_fd
      "pipe:",
      "-",
      "fd:3",
      "file:",
      "udp://127.0.0.1:1234\n",
  };
  for (const char* url : bad) {
    Status s = validate_source_url(url);
    ASSERT_FALSE(s.ok()) << "accepted '" << url << "'";
    EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument) << url;
    EXPECT_NE(s.error().message().find("source URL"), std::string::npos);
  }
}

TEST(SourceUrlTest, ErrorNamesTheProblem) {
  Status s = validate_source_url("udp://127.0.0.1");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("no port"), std::string::npos) << s.error().message();
  s = validate_source_url("ftp://x/y");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("unsupported scheme 'ftp'"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace discrec::recorder::ingest
