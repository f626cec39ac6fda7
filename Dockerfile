# Builds discrec on Debian 12 and runs discrecd on its default config (one
# emulated BD-RE drive under /var/lib/discrecd). The CLI talks to it through
# the socket volume:  docker run -v discrec-run:/run/discrecd ...
FROM debian:12 AS build
WORKDIR /src
COPY packages.txt tools/install_packages.sh ./tools/
RUN mv tools/packages.txt . && ./tools/install_packages.sh
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDISCREC_BENCH=OFF \
 && cmake --build build --target discrecd discrec

FROM debian:12-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libavformat59 libavcodec59 libavutil57 libiscsi7 libsystemd0 zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/daemon/discrecd /src/build/clients/discrec /usr/local/bin/
COPY daemon/discrecd.toml /etc/discrecd/discrecd.toml
VOLUME ["/var/lib/discrecd", "/run/discrecd"]
ENTRYPOINT ["/usr/local/bin/discrecd", "serve", "--config", "/etc/discrecd/discrecd.toml"]
