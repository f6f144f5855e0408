# The Todo Task API as a container image (see specs/guides/deployment.md).
#
# Every stage starts from BASE_IMAGE, so this file builds on any Debian-based image that has
# python3 and its venv module, and needs no other image (uv comes from the package index).
# The runtime stage holds the base, one virtual environment (dependencies from uv.lock plus
# the app, no pip, no compilers, no caches) and an unprivileged user.
ARG BASE_IMAGE=python:3.13-slim

FROM ${BASE_IMAGE} AS build
# The Makefile's uv, in a throwaway venv that never leaves this stage.
ARG UV_VERSION=0.13.9
# Unset by default: pip and uv then trust their own CA roots. Only for a build machine whose
# TLS traffic needs its own CA bundle: pass the bundle's path to both, pip's and uv's, and
# lend the file to the build (--volume /etc/ssl/certs:/etc/ssl/certs:ro).
ARG PIP_CERT
ARG SSL_CERT_FILE
ENV UV_PROJECT_ENVIRONMENT=/opt/todo-api \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --quiet "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first: this layer is reused until pyproject.toml or uv.lock change. The uv
# cache is a build-time mount, so it speeds up rebuilds without ending up in a layer.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --locked --no-dev --no-editable --no-install-project --python python3
# Then the app itself, installed (not linked) into the same venv.
COPY README.md ./
COPY backend/todo_api backend/todo_api
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --locked --no-dev --no-editable --python python3

FROM ${BASE_IMAGE} AS runtime
# uid 1000 by default, the user Hugging Face Spaces run containers as; its home is the working
# directory, writable, for the embedded SQLite file when no DATABASE_URL is set.
ARG APP_UID=1000
RUN useradd --uid "${APP_UID}" --user-group --create-home --home-dir /app \
        --shell /usr/sbin/nologin app
# The same path as in the build stage: the venv's scripts name its interpreter by path.
COPY --from=build /opt/todo-api /opt/todo-api
# Production by default: the app refuses to start without a real BETTER_AUTH_SECRET (or
# BETTER_AUTH_URL) instead of accepting tokens signed with the public development secret.
ENV PATH=/opt/todo-api/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000
USER app
WORKDIR /app
# The port a host sends traffic to unless it sets PORT: space/README.md's app_port names it too.
EXPOSE 8000
# No curl in slim images: the venv's Python asks /health on the port the server listens on.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % (os.environ.get('PORT') or '8000'), timeout=4)"]
# Exec form: uvicorn is the container's main process and gets SIGTERM itself. `serve` reads
# HOST and PORT from the environment. Migrations are a separate step: `todo-api migrate`.
CMD ["todo-api", "serve"]
