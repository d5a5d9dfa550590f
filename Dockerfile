# Healthcode API / worker / scheduler image (production settings, non-root).
# Health: the API image checks /healthz; compose.yaml checks /readyz for the API and the
# heartbeat files (python -m app.heartbeat worker|scheduler) for the other roles.
#   docker build -t healthcode .
#   docker run --env-file healthcode.env healthcode                 # the API (gunicorn)
#   docker run --env-file healthcode.env healthcode flask --app wsgi worker
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# A C compiler for base32 in C (codes/_cbase32.c, built by the install); the runtime image has none.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY app ./app
COPY codes ./codes
COPY risk ./risk
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --quiet .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HEALTHCODE_ENV=production \
    HEALTHCODE_INSTANCE_DIR=/var/lib/healthcode \
    HEALTHCODE_HEARTBEAT_DIR=/tmp/healthcode-heartbeat \
    GUNICORN_BIND=0.0.0.0:8000
# A CJK font for the venues' printable posters (Chinese and English).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 healthcode \
 && useradd --system --uid 10001 --gid healthcode --home-dir /srv/healthcode --shell /usr/sbin/nologin healthcode \
 && mkdir -p /var/lib/healthcode && chown healthcode:healthcode /var/lib/healthcode
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/healthcode
COPY --chown=root:root wsgi.py gunicorn.conf.py pyproject.toml ./
COPY --chown=root:root migrations ./migrations
USER healthcode
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
