/* A reader nobody here wrote: lists and reads a UDF image through libudfread.
 *   udfread_check IMAGE                      -> "volume <id>" then "<d|f> <size> <path>" per entry
 *   udfread_check IMAGE PATH OFFSET LENGTH   -> LENGTH bytes of PATH from OFFSET on stdout
 * Exit status 1 on any failure, with the reason on stderr. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <udfread/udfread.h>

static int list(udfread* udf, const char* path, int depth) {
  UDFDIR* dir = udfread_opendir(udf, path);
  if (!dir) {
    fprintf(stderr, "opendir %s failed\n", path);
    return 1;
  }
  struct udfread_dirent entry;
  int rc = 0;
  while (udfread_readdir(dir, &entry)) {
    if (!strcmp(entry.d_name, ".") || !strcmp(entry.d_name, "..")) continue;
    char child[1024];
    snprintf(child, sizeof child, "%s/%s", strcmp(path, "/") ? path : "", entry.d_name);
    if (entry.d_type == UDF_DT_DIR) {
      printf("d 0 %s\n", child);
      if (depth < 8) rc |= list(udf, child, depth + 1);
    } else {
      UDFFILE* f = udfread_file_open(udf, child);
      if (!f) {
        fprintf(stderr, "open %s failed\n", child);
        rc = 1;
        continue;
      }
      printf("f %" PRId64 " %s\n", udfread_file_size(f), child);
      udfread_file_close(f);
    }
  }
  udfread_closedir(dir);
  return rc;
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 5) {
    fprintf(stderr, "usage: %s IMAGE [PATH OFFSET LENGTH]\n", argv[0]);
    return 2;
  }
  udfread* udf = udfread_init();
  if (!udf || udfread_open(udf, argv[1]) < 0) {
    fprintf(stderr, "udfread_open %s failed\n", argv[1]);
    return 1;
  }
  int rc = 0;
  if (argc == 2) {
    printf("volume %s\n", udfread_get_volume_id(udf));
    rc = list(udf, "/", 0);
  } else {
    UDFFILE* f = udfread_file_open(udf, argv[2]);
    int64_t offset = strtoll(argv[3], NULL, 10);
    int64_t length = strtoll(argv[4], NULL, 10);
    if (!f || udfread_file_seek(f, offset, UDF_SEEK_SET) != offset) {
      fprintf(stderr, "open/seek %s failed\n", argv[2]);
      rc = 1;
    } else {
      static char buf[1 << 16];
      while (length > 0) {
        ssize_t n = udfread_file_read(f, buf, length < (int64_t)sizeof buf ? (size_t)length : sizeof buf);
        if (n <= 0) {
          fprintf(stderr, "read %s failed with %d bytes left\n", argv[2], (int)length);
          rc = 1;
          break;
        }
        fwrite(buf, 1, (size_t)n, stdout);
        length -= n;
      }
    }
    if (f) udfread_file_close(f);
  }
  udfread_close(udf);
  return rc;
}
