// swift-tools-version:5.9
// The Seedance client for Swift: the uniffi-generated sources (Sources/Seedance/Generated,
// committed, checked for drift), hand-written async helpers (Sources/Seedance/Helpers)
// and the native library:
//  - Apple platforms: SeedanceFFI.xcframework (iOS device, iOS simulator, macOS; static
//    libraries), built by scripts/build-xcframework.sh on a Mac;
//  - Linux: the built libseedance_uniffi.so (`cargo build -p seedance-uniffi`), found in
//    $SEEDANCE_LIB_DIR or ../../target/debug.
import Foundation
import PackageDescription

#if os(Linux)
let libDir = ProcessInfo.processInfo.environment["SEEDANCE_LIB_DIR"]
    ?? "\(Context.packageDirectory)/../../target/debug"
let ffi: Target = .systemLibrary(name: "SeedanceFFI", path: "Sources/SeedanceFFI")
let linker: [LinkerSetting] = [
    .unsafeFlags(["-L\(libDir)", "-Xlinker", "-rpath", "-Xlinker", libDir]),
]
#else
let ffi: Target = .binaryTarget(name: "SeedanceFFI", path: "SeedanceFFI.xcframework")
let linker: [LinkerSetting] = [
    .linkedFramework("Security"),
    .linkedFramework("SystemConfiguration"),
]
#endif

let package = Package(
    name: "Seedance",
    platforms: [.iOS(.v13), .macOS(.v12)],
    products: [
        .library(name: "Seedance", targets: ["Seedance"]),
    ],
    targets: [
        ffi,
        .target(
            name: "Seedance",
            dependencies: ["SeedanceFFI"],
            path: "Sources/Seedance",
            linkerSettings: linker
        ),
        .testTarget(
            name: "SeedanceTests",
            dependencies: ["Seedance"],
            path: "Tests/SeedanceTests"
        ),
    ]
)
