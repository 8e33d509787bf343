#!/usr/bin/env bash
# Builds bindings/swift/SeedanceFFI.xcframework (the Swift package's binaryTarget on Apple
# platforms) from the static library: iOS device, iOS simulator (arm64 + x86_64) and macOS
# (arm64 + x86_64). Runs on macOS with Xcode and rustup; NOT run on our Linux machines.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname)" = Darwin ] || { echo "build-xcframework.sh needs macOS (xcodebuild, lipo)" >&2; exit 1; }

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "${targets[@]}"
for t in "${targets[@]}"; do
  cargo build --release -p seedance-uniffi --target "$t"
done

out=target/xcframework
rm -rf "$out" bindings/swift/SeedanceFFI.xcframework
mkdir -p "$out/headers" "$out/ios-sim" "$out/macos"
cp bindings/swift/Sources/SeedanceFFI/SeedanceFFI.h "$out/headers/"
cp bindings/swift/Sources/SeedanceFFI/SeedanceFFI.modulemap "$out/headers/module.modulemap"
lib=libseedance_uniffi.a
lipo -create target/aarch64-apple-ios-sim/release/$lib target/x86_64-apple-ios/release/$lib -output "$out/ios-sim/$lib"
lipo -create target/aarch64-apple-darwin/release/$lib target/x86_64-apple-darwin/release/$lib -output "$out/macos/$lib"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/$lib -headers "$out/headers" \
  -library "$out/ios-sim/$lib" -headers "$out/headers" \
  -library "$out/macos/$lib" -headers "$out/headers" \
  -output bindings/swift/SeedanceFFI.xcframework
echo "wrote bindings/swift/SeedanceFFI.xcframework"
