# Builds discrec on Debian 12 into its Debian package and runs discrecd on its
# default config (one emulated BD-RE drive under /var/lib/discrecd). The CLI
# talks to it through the socket volume:  docker run -v discrec-run:/run/discrecd ...
#
# Stopping: SIGTERM ends recordings cleanly, and the daemon bounds that at 45 s.
# Docker's default stop timeout is 10 s, after which it sends SIGKILL, so give it
# more:  docker stop -t 60 <container>   (compose: stop_grace_period: 60s).
# Locked rings (limits.ring_memory) need:  --cap-add IPC_LOCK --ulimit memlock=-1
FROM debian:12 AS build
WORKDIR /src
# Only what builds the two programs (tools/build-packages.txt), not the test
# machinery of packages.txt (QEMU, a kernel, wine, mingw).
COPY tools/install_packages.sh tools/build-packages.txt ./tools/
RUN ./tools/install_packages.sh tools/build-packages.txt && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDISCREC_BENCH=OFF \
 && cmake --build build --target discrecd discrec \
 && cd build && cpack -B /pkg

FROM debian:12-slim
# apt resolves the package's Depends (dpkg-shlibdeps wrote them): no list of
# runtime libraries to keep in step here.
COPY --from=build /pkg/discrec_*.deb /tmp/
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/discrec_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/discrec_*.deb \
 && mkdir -p /var/lib/discrecd /run/discrecd
VOLUME ["/var/lib/discrecd", "/run/discrecd"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/sbin/discrecd", "serve", "--config", "/etc/discrecd/discrecd.toml"]
