# shellcheck shell=bash
# Shared set-up of ./scripts/demo, ./scripts/test and .ci/run (sourced, not run).
#
# Brings a clone on a machine with Node.js and git to the point where `pnpm demo` and
# `pnpm test` work, installing only what is missing:
#   - pnpm at the `packageManager` version of package.json (npm install -g; into ~/.local
#     when npm's global folder is not writable and we are not root);
#   - the dependencies (pnpm install --frozen-lockfile), when node_modules is missing or was
#     installed from another pnpm-lock.yaml (a copy of the lockfile is kept as a stamp);
#   - redis-server (apt-get), when asked for, as root or with passwordless sudo. Debian's
#     package also starts a system instance; nothing here uses it (the demo and the tests
#     start private instances on free loopback ports);
#   - chromium (apt-get, wb_chromium; ./scripts/test only), the browser of the dashboard test,
#     driven by playwright-core: no browser is downloaded at run time.
# A second run installs nothing. Whatever it cannot install, it names in one line (how to
# install it on Debian/Ubuntu, Fedora and macOS) and exits 1.
#
# Usage: wb_setup NAME [redis|no-redis] [HINT]. NAME prefixes messages; HINT is appended to
# the redis-server line (the demo's "or pass --redis URL").

wb_root=${BASH_SOURCE[0]%/*}
[ "$wb_root" = "${BASH_SOURCE[0]}" ] && wb_root=.
wb_root=$(cd "$wb_root/../.." && pwd)

wb_chromium_howto='chromium not found on PATH (the dashboard test drives it): install it (Debian/Ubuntu: sudo apt-get install -y chromium; Fedora: sudo dnf install -y chromium; macOS: brew install --cask chromium) or set CHROMIUM to a Chromium or Chrome binary'

# Keep equal to REDIS_SERVER_HOWTO in packages/bus/src/embedded-redis.ts (a test checks).
wb_redis_howto='redis-server not found on PATH: install it (Debian/Ubuntu: sudo apt-get install -y redis-server; Fedora: sudo dnf install -y redis; macOS: brew install redis)'

wb_setup() {
  local name=$1 redis=${2:-redis} hint=${3:-}
  cd "$wb_root" || exit 1
  wb_node "$name"
  wb_pnpm "$name"
  wb_deps "$name"
  if [ "$redis" = redis ]; then wb_redis "$name" "$hint"; fi
}

wb_fail() { printf '%s: %s\n' "$1" "$2" >&2; exit 1; }
wb_note() { printf '%s: %s\n' "$1" "$2" >&2; }

# Node.js within package.json's `engines.node` (a list of `^x.y.z` / `>=x.y.z` ranges joined
# by `||`); prints the pinned pnpm version for wb_pnpm.
wb_node() {
  command -v node >/dev/null 2>&1 ||
    wb_fail "$1" 'Node.js not found: install Node.js 24 LTS (Debian/Ubuntu: install nvm, then nvm install 24; Fedora: sudo dnf install -y nodejs; macOS: brew install node)'
  local out
  # shellcheck disable=SC2016 # JavaScript, not shell
  out=$(node -e '
    const pkg = require("./package.json");
    const v = process.versions.node.split(".").map(Number);
    const ge = (w) => { for (let i = 0; i < 3; i++) if (v[i] !== w[i]) return v[i] > w[i]; return true; };
    const ok = pkg.engines.node.split("||").some((r) => {
      const m = /^\s*(\^|>=)(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(r);
      if (!m) throw new Error(`engines.node: cannot read "${r.trim()}"`);
      const w = [+m[2], +(m[3] ?? 0), +(m[4] ?? 0)];
      return ge(w) && (m[1] === ">=" || v[0] === w[0]);
    });
    console.log(ok ? pkg.packageManager.replace(/^pnpm@/, "") : `!${pkg.engines.node}`);
  ') || wb_fail "$1" 'cannot read package.json with node'
  case $out in
    !*) wb_fail "$1" "Node.js $(node --version) is too old (need ${out#!}): install Node.js 24 LTS (Debian/Ubuntu: install nvm, then nvm install 24; Fedora: sudo dnf install -y nodejs; macOS: brew install node)" ;;
  esac
  wb_pnpm_version=$out
}

wb_pnpm() {
  local want=$wb_pnpm_version
  [ "$(pnpm --version 2>/dev/null)" = "$want" ] && return 0
  # An earlier run may have installed it under ~/.local (not on this shell's PATH).
  if [ "$("$HOME/.local/bin/pnpm" --version 2>/dev/null)" = "$want" ]; then
    export PATH="$HOME/.local/bin:$PATH"
    return 0
  fi
  command -v npm >/dev/null 2>&1 ||
    wb_fail "$1" "npm not found (needed to install pnpm $want): install it (Debian/Ubuntu: sudo apt-get install -y npm; Fedora: sudo dnf install -y npm; macOS: brew install node), or install pnpm $want yourself"
  local prefix
  prefix=$(npm prefix -g 2>/dev/null)
  if [ "$(id -u)" -eq 0 ] || { [ -w "$prefix/bin" ] && [ -w "$prefix/lib" ]; }; then
    wb_note "$1" "installing pnpm $want (npm install -g pnpm@$want)"
    npm install -g --no-audit --no-fund --no-update-notifier --loglevel=error "pnpm@$want" >&2 ||
      wb_fail "$1" "could not install pnpm $want: run npm install -g pnpm@$want (Debian/Ubuntu and Fedora: with sudo if npm's global folder is root's; macOS: as is)"
    export PATH="$prefix/bin:$PATH"  # before any other pnpm found earlier on PATH
  else
    wb_note "$1" "installing pnpm $want into ~/.local (npm's global folder $prefix is not writable)"
    npm install -g --prefix "$HOME/.local" --no-audit --no-fund --no-update-notifier --loglevel=error "pnpm@$want" >&2 ||
      wb_fail "$1" "could not install pnpm $want: run npm install -g pnpm@$want (Debian/Ubuntu and Fedora: with sudo if npm's global folder is root's; macOS: as is)"
    export PATH="$HOME/.local/bin:$PATH"
    wb_note "$1" "pnpm is in ~/.local/bin; add that folder to PATH to run pnpm yourself"
  fi
  hash -r
  [ "$(pnpm --version 2>/dev/null)" = "$want" ] ||
    wb_fail "$1" "pnpm $want was installed but \`pnpm --version\` says $(pnpm --version 2>/dev/null || echo nothing): put npm's global bin folder first on PATH"
}

wb_deps() {
  local stamp=node_modules/.wattbroker-lockfile
  if [ -d node_modules ] && cmp -s pnpm-lock.yaml "$stamp"; then return 0; fi
  wb_note "$1" 'installing dependencies (pnpm install --frozen-lockfile)'
  pnpm install --frozen-lockfile >&2 || wb_fail "$1" 'pnpm install --frozen-lockfile failed (see above)'
  cp pnpm-lock.yaml "$stamp"
}

wb_redis() {
  local name=$1 hint=$2
  command -v redis-server >/dev/null 2>&1 && return 0
  wb_apt_install "$name" redis-server "$wb_redis_howto$hint"
}

# Chromium for the dashboard's browser test; exports CHROMIUM (its path) for the test.
wb_chromium() {
  local name=$1
  if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then return 0; fi
  command -v chromium >/dev/null 2>&1 || wb_apt_install "$name" chromium "$wb_chromium_howto"
  export CHROMIUM; CHROMIUM=$(command -v chromium)
}

# Install the Debian package PKG, which provides the command of the same name, with apt-get
# (as root, or through passwordless sudo); otherwise stop with HOWTO.
wb_apt_install() {
  local name=$1 pkg=$2 howto=$3 sudo=
  if ! command -v apt-get >/dev/null 2>&1; then
    wb_fail "$name" "$howto"
  elif [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo='sudo -n'; else wb_fail "$name" "$howto"; fi
  fi
  wb_note "$name" "installing $pkg (apt-get install -y $pkg)"
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg"; } >&2 ||
    wb_fail "$name" "apt-get could not install $pkg (see above); $howto"
  hash -r
  command -v "$pkg" >/dev/null 2>&1 || wb_fail "$name" "$howto"
}
