# shellcheck shell=bash
# Provisioning for the test run, sourced by .ci/test (and by .ci/run for its Python).
#
# What the tests need beyond a Rust toolchain:
#   - DIALTONE_PYTHON: a Python with twilio-python 9.x and moto's S3 server (with boto3) for the
#     S3 recordings test (a venv in $DIALTONE_VENV, by default $HOME/.cache/dialtone-venv, made
#     with Debian's python3-venv and `pip install` from PyPI);
#   - DIALTONE_TEST_POSTGRES_URL: a PostgreSQL server the tests may create databases on (a
#     throwaway cluster from Debian's postgresql server binaries, in a temporary directory);
#   - /usr/bin/python3 with aiortc (Debian's python3-aiortc), the WebRTC interop peer;
#   - Debian's chromium and nodejs/npm, and DIALTONE_NPM / DIALTONE_SDK_MODULES: a node_modules
#     (npm install into $DIALTONE_NPM, by default $HOME/.cache/dialtone-npm) with puppeteer-core
#     and the published @twilio/voice-sdk, for the browser tests (the console, the Voice SDK);
#   - libopus-dev and pkg-config (the Opus codec is linked from the system), espeak-ng (<Say>), lame
#     (recordings as MP3).
# Values already in the environment are used as they are. Missing Debian packages are
# installed with apt-get when running as root; otherwise the run fails, naming them.
#
# Callers define die() and set `trap stop_postgres EXIT` before setup_postgres.

VENV="${DIALTONE_VENV:-$HOME/.cache/dialtone-venv}"
TWILIO_SPEC='twilio>=9.13,<10'
MOTO_SPEC='moto[server]>=5.1,<6'
AIORTC_PYTHON=/usr/bin/python3
NPM_DIR="${DIALTONE_NPM:-$HOME/.cache/dialtone-npm}"
NPM_SPECS=(puppeteer-core@25 @twilio/voice-sdk@2)

is_root() { [ "$(id -u)" -eq 0 ]; }

# True when $1 is a Python that imports twilio 9.x.
has_twilio9() {
    "$1" -c 'import twilio, sys; sys.exit(not twilio.__version__.startswith("9."))' \
        >/dev/null 2>&1
}
twilio_version() { "$1" -c 'import twilio; print("twilio", twilio.__version__)'; }
# True when $1 is a Python that runs moto's server (S3 on loopback) and has boto3.
has_moto() {
    "$1" -c 'import moto.server, boto3' >/dev/null 2>&1
}

# The newest PostgreSQL server binaries Debian installed (initdb, pg_ctl).
find_pgbin() {
    local dir
    for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# The Debian packages still needed, given what the environment already provides.
missing_packages() {
    local need=()
    if [ -z "${DIALTONE_PYTHON:-}" ] && ! has_twilio9 "$VENV/bin/python" &&
        ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        need+=(python3 python3-venv)
    fi
    if [ -z "${DIALTONE_TEST_POSTGRES_URL:-}" ] && ! find_pgbin >/dev/null; then
        need+=(postgresql)
    fi
    if ! "$AIORTC_PYTHON" -c 'import aiortc' >/dev/null 2>&1; then
        need+=(python3-aiortc)
    fi
    # dialtone-media links the system libopus (found with pkg-config).
    if ! pkg-config --exists opus 2>/dev/null; then
        need+=(libopus-dev pkg-config)
    fi
    # Recordings are served as MP3 by the lame encoder (the LGPL library is not linked).
    if ! command -v lame >/dev/null; then
        need+=(lame)
    fi
    # The browser tests (the console, the Voice SDK): headless Chromium driven by puppeteer-core.
    if ! command -v chromium >/dev/null; then
        need+=(chromium)
    fi
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        need+=(nodejs npm)
    fi
    # <Say> speaks with espeak-ng; its absence is a tested fault, not a skip.
    if ! command -v espeak-ng >/dev/null; then
        need+=(espeak-ng)
    fi
    echo "${need[*]}"
}

# Installs the Debian packages named (as root), or fails naming them.
install_packages() {
    [ "$#" -gt 0 ] || return 0
    if ! is_root; then
        die "missing Debian packages: $*
  install them as root:  apt-get install --no-install-recommends $*
  (or run $0 as root, which installs them; DIALTONE_PYTHON and
  DIALTONE_TEST_POSTGRES_URL, when set, replace the venv and the throwaway PostgreSQL)"
    fi
    echo "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Python with twilio-python: the end-to-end tests check every webhook with Twilio's own
# RequestValidator and drive the REST API with Twilio's own client. Exports DIALTONE_PYTHON.
setup_python() {
    if [ -n "${DIALTONE_PYTHON:-}" ]; then
        has_twilio9 "$DIALTONE_PYTHON" ||
            die "DIALTONE_PYTHON=$DIALTONE_PYTHON has no twilio 9.x: pip install '$TWILIO_SPEC' into it, or unset DIALTONE_PYTHON"
        has_moto "$DIALTONE_PYTHON" ||
            die "DIALTONE_PYTHON=$DIALTONE_PYTHON has no moto server: pip install '$MOTO_SPEC' into it, or unset DIALTONE_PYTHON"
        echo "using DIALTONE_PYTHON=$DIALTONE_PYTHON ($(twilio_version "$DIALTONE_PYTHON"))"
        return
    fi
    if has_twilio9 "$VENV/bin/python"; then
        echo "reusing $VENV ($(twilio_version "$VENV/bin/python"))"
    else
        python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
            die "python3 cannot make a venv (Debian: apt-get install python3-venv)"
        mkdir -p "$(dirname "$VENV")"
        python3 -m venv --clear "$VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$TWILIO_SPEC" ||
            die "could not pip install '$TWILIO_SPEC' into $VENV (PyPI must be reachable)"
        echo "installed $(twilio_version "$VENV/bin/python") into $VENV"
    fi
    if ! has_moto "$VENV/bin/python"; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$MOTO_SPEC" ||
            die "could not pip install '$MOTO_SPEC' into $VENV (PyPI must be reachable)"
        echo "installed $MOTO_SPEC into $VENV"
    fi
    export DIALTONE_PYTHON="$VENV/bin/python"
}

# A throwaway PostgreSQL cluster on a free loopback port, in a temporary directory that
# stop_postgres (the caller's EXIT trap) stops and removes. Exports DIALTONE_TEST_POSTGRES_URL.
PGDIR=""
PGBIN=""
PGUSER_OS=""
as_pg() {
    if [ -n "$PGUSER_OS" ]; then
        runuser -u "$PGUSER_OS" -- "$@"
    else
        "$@"
    fi
}
stop_postgres() {
    if [ -n "$PGDIR" ] && [ -d "$PGDIR" ]; then
        if [ -f "$PGDIR/data/postmaster.pid" ]; then
            as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PGDIR"
        PGDIR=""
    fi
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
setup_postgres() {
    if [ -n "${DIALTONE_TEST_POSTGRES_URL:-}" ]; then
        echo "using DIALTONE_TEST_POSTGRES_URL from the environment"
        return
    fi
    PGBIN=$(find_pgbin) ||
        die "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)"
    if is_root; then
        # initdb refuses to run as root.
        PGUSER_OS=postgres
        id -u "$PGUSER_OS" >/dev/null 2>&1 ||
            useradd --system --user-group --no-create-home --shell /bin/sh "$PGUSER_OS"
        PGDIR=$(mktemp -d /tmp/dialtone-pg.XXXXXX)
        chown "$PGUSER_OS:" "$PGDIR"
    else
        PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/dialtone-pg.XXXXXX")
    fi
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U dialtone --auth=trust -E UTF8 --no-locale \
        --no-sync >"$PGDIR/initdb.log" 2>&1 || { cat "$PGDIR/initdb.log" >&2; die "initdb failed"; }
    local port tries=0
    while :; do
        [ "$tries" -lt 20 ] || { cat "$PGDIR/postgres.log" >&2 || true; die "PostgreSQL did not start"; }
        tries=$((tries + 1))
        port=$((20000 + RANDOM % 30000))
        port_free "$port" || continue
        if as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null; then
            break
        fi
    done
    as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U dialtone dialtone
    export DIALTONE_TEST_POSTGRES_URL="postgres://dialtone@127.0.0.1:$port/dialtone"
    echo "throwaway PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') in $PGDIR"
    echo "DIALTONE_TEST_POSTGRES_URL=$DIALTONE_TEST_POSTGRES_URL"
}

# Debian's aiortc: an independent WebRTC peer for dialtone-media's interop test, run with the
# system interpreter, not the venv.
check_aiortc() {
    "$AIORTC_PYTHON" -c 'import aiortc' >/dev/null 2>&1 ||
        die "$AIORTC_PYTHON cannot import aiortc (Debian: apt-get install python3-aiortc)"
    echo "aiortc $("$AIORTC_PYTHON" -c 'import aiortc; print(aiortc.__version__)') for $AIORTC_PYTHON"
}

# npm packages of the browser tests, into $NPM_DIR: puppeteer-core (drives Debian's chromium;
# PUPPETEER_SKIP_DOWNLOAD, it fetches no browser of its own) and the published
# @twilio/voice-sdk. Exports DIALTONE_NPM (the console test) and DIALTONE_SDK_MODULES (the Voice
# SDK test); a DIALTONE_SDK_MODULES already set is used as it is.
setup_npm() {
    local modules="$NPM_DIR/node_modules"
    if [ ! -f "$modules/puppeteer-core/package.json" ] || [ ! -f "$modules/@twilio/voice-sdk/dist/twilio.min.js" ]; then
        mkdir -p "$NPM_DIR"
        [ -f "$NPM_DIR/package.json" ] || echo '{"name":"dialtone-e2e-npm","private":true}' >"$NPM_DIR/package.json"
        (cd "$NPM_DIR" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund "${NPM_SPECS[@]}") ||
            die "could not npm install ${NPM_SPECS[*]} into $NPM_DIR (the npm registry must be reachable)"
    fi
    export DIALTONE_NPM="$NPM_DIR"
    export DIALTONE_SDK_MODULES="${DIALTONE_SDK_MODULES:-$modules}"
    echo "puppeteer-core $(node -p "require('$modules/puppeteer-core/package.json').version")," \
        "Voice SDK $(node -p "require('$DIALTONE_SDK_MODULES/@twilio/voice-sdk/package.json').version")"
}

# Everything above, in order; Debian packages first, in one apt-get.
provision() {
    # shellcheck disable=SC2046 # the list is words
    install_packages $(missing_packages)
    setup_python
    setup_npm
    setup_postgres
    check_aiortc
}
