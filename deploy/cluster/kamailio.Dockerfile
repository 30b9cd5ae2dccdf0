# Kamailio 5.6 from Debian bookworm with deploy/kamailio/kamailio.cfg and this cluster's nodes.list.
# Build from the repository root (docker-compose.yml beside this file does).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends kamailio \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/kamailio/kamailio.cfg /etc/kamailio/kamailio.cfg
COPY deploy/cluster/nodes.list /etc/kamailio/nodes.list
USER kamailio
ENTRYPOINT ["kamailio", "-DD", "-E", "-f", "/etc/kamailio/kamailio.cfg", "-w", "/etc/kamailio", "-Y", "/tmp", "-A", "LISTEN=udp:127.0.0.1:5060"]
