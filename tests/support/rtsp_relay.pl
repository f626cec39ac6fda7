#!/usr/bin/perl
# An RTSP relay for the tests: a "camera" publishes to it (ANNOUNCE/RECORD on
# --serverport) and discrec pulls from it as a client (DESCRIBE/SETUP/PLAY on
# --clientport), RTP over UDP. The server is RTSP::Server from Debian's
# librtsp-server-perl; this is what its /usr/bin/rtsp-server-perl does, kept
# here so the tests need only the library (the rtsp-server-perl package also
# installs and enables a system service).
use strict;
use warnings;
use AnyEvent;
use RTSP::Server;

my $server = RTSP::Server->new_with_options();
$server->listen;
my $done = AnyEvent->condvar;
$SIG{INT} = $SIG{TERM} = sub { $done->send };
$done->recv;
