#!/usr/bin/env bash
# The C API's tests (`./scripts/test c`): header drift, the example and the header
# under strict C and C++ compilers, the CMake example, and the C test program built
# plain + run, built with ASan/UBSan + run, and run under valgrind.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
c=bindings/c
out=${CARGO_TARGET_DIR:-target}/c-tests
mkdir -p "$out"
start=$(date +%s)

echo "--> cargo build -p seedance-c (debug)"
cargo build -p seedance-c --quiet
lib=${CARGO_TARGET_DIR:-target}/debug
# the native libraries a static libseedance needs (as rustc prints them)
native=$(cargo rustc -p seedance-c --quiet --lib --crate-type staticlib -- --print native-static-libs 2>&1 \
  | sed -n 's/.*native-static-libs: //p' | tail -1)
[ -n "$native" ] || { echo "could not read native-static-libs" >&2; exit 1; }

echo "--> header drift (cbindgen $(cbindgen --version | awk '{print $2}'))"
want=0.29.4
have=$(cbindgen --version 2>/dev/null | awk '{print $2}') || true
if [ "$have" != "$want" ]; then
  echo "cbindgen $want is needed (have: ${have:-none}): cargo install cbindgen --version $want --locked" >&2
  exit 1
fi
cbindgen --quiet --config $c/cbindgen.toml --crate seedance-c --output "$out/seedance.h"
if ! diff -u $c/include/seedance.h "$out/seedance.h"; then
  echo "bindings/c/include/seedance.h is stale: regenerate it with" >&2
  echo "  cbindgen --config $c/cbindgen.toml --crate seedance-c --output $c/include/seedance.h" >&2
  exit 1
fi

strict="-std=c11 -Wall -Wextra -Wpedantic -Werror"
echo "--> the header as C11 and as C++ (g++)"
echo '#include "seedance.h"' | gcc $strict -fsyntax-only -I$c/include -x c -
echo '#include "seedance.h"' | g++ -std=c++11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I$c/include -x c++ -

echo "--> examples/c/generate.c: pkg-config (shared) and static"
export PKG_CONFIG_PATH="$root/$c"
pc="--define-variable=libdir=$root/$lib"
# shellcheck disable=SC2046
gcc $strict examples/c/generate.c $(pkg-config $pc --cflags --libs seedance) -Wl,-rpath,"$root/$lib" -o "$out/generate"
# shellcheck disable=SC2086
gcc $strict examples/c/generate.c -I$c/include "$lib/libseedance.a" $native -o "$out/generate-static"
# without a key it must say so, by its message
if env -u SEEDANCE_API_KEY "$out/generate-static" "$out" 2> "$out/generate.err"; then
  echo "the example succeeded without an API key" >&2; exit 1
fi
grep -q "SEEDANCE_RESULT_NO_API_KEY: .*SEEDANCE_API_KEY" "$out/generate.err" || { cat "$out/generate.err" >&2; exit 1; }

# the README's C quick start compiles too
awk '/^## C$/{c=1} c&&/^```c$/{p=1;next} p&&/^```$/{exit} p' README.md > "$out/readme.c"
[ -s "$out/readme.c" ] || { echo "no C example under the README's '## C'" >&2; exit 1; }
# shellcheck disable=SC2086
gcc $strict "$out/readme.c" -I$c/include "$lib/libseedance.a" $native -o "$out/readme"

if command -v cmake >/dev/null 2>&1; then
  echo "--> examples/c/CMakeLists.txt"
  cmake -S examples/c -B "$out/cmake" -DSEEDANCE_LIBDIR="$root/$lib" >/dev/null
  cmake --build "$out/cmake" >/dev/null
fi

# the shared table of Reading R25 (mode inference), also run by the CLI, Python and Kotlin
export SEEDANCE_MODE_CASES="$root/tests/shared/mode-inference.json"

echo "--> test_seedance (plain)"
# shellcheck disable=SC2086
gcc $strict -g -I$c/include $c/tests/test_seedance.c "$lib/libseedance.a" $native -o "$out/test_seedance"
"$out/test_seedance"

echo "--> test_seedance (-fsanitize=address,undefined)"
# shellcheck disable=SC2086
gcc $strict -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
  -I$c/include $c/tests/test_seedance.c "$lib/libseedance.a" $native -o "$out/test_seedance_asan"
ASAN_OPTIONS=detect_leaks=1 "$out/test_seedance_asan"

echo "--> test_seedance under valgrind"
valgrind --quiet --leak-check=full --error-exitcode=1 --suppressions=$c/tests/valgrind.supp \
  "$out/test_seedance"

echo "--> C tests done in $(( $(date +%s) - start )) s"
