// swift-tools-version: 6.1
import Foundation
import PackageDescription

// Language modes, chosen per target:
// - Tensors, LanguageModels, editlab and the tests use Swift 6 with complete
//   concurrency checking: they are plain Swift and must stay data-race free.
//   Tensors are deliberately not Sendable (views share mutable storage).
// - Scripting (the Lua host) also uses Swift 6: a LuaVM is used on the thread that created
//   it; C calls back into Swift only through function pointers kept in LuaShim (atomics);
//   every mutable C global (libedit's, the SIGINT flag) stays behind LuaShim's functions,
//   and the one Swift global (the REPL libedit completes for) is `nonisolated(unsafe)`.
// The element-wise kernels of Tensors (SIMD8<Float>) are compiled for AVX2 and FMA when the
// building machine has them (x86-64 Linux hosts that list both in /proc/cpuinfo): eight
// lanes are then one instruction instead of two SSE halves, and `VectorMath.exp` evaluates
// its polynomial in fused multiply-adds (`EDITLAB_FMA`). Elsewhere the portable build.
let vectorISA: [SwiftSetting] = {
    #if arch(x86_64) && os(Linux)
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let features = Set(flags.split(separator: " ").map(String.init))
    guard features.contains("avx2") && features.contains("fma") else { return [] }
    return [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"]), .define("EDITLAB_FMA")]
    #else
    return []
    #endif
}()

let package = Package(
    name: "EditLab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "editlab", targets: ["editlab"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "LanguageModels", targets: ["LanguageModels"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Editing", targets: ["Editing"]),
        .library(name: "Measurements", targets: ["Measurements"]),
        .library(name: "Lab", targets: ["Lab"]),
        .library(name: "Scripting", targets: ["Scripting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.4",
                       providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .target(name: "Tensors", dependencies: ["CBLAS"],
                swiftSettings: [.swiftLanguageMode(.v6)] + vectorISA),
        .target(name: "LanguageModels", dependencies: ["Tensors"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Datasets", dependencies: ["Tensors", "LanguageModels"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Editing", dependencies: ["Tensors", "LanguageModels", "Datasets",
                                               .product(name: "Yams", package: "Yams")],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Measurements", dependencies: ["Tensors", "LanguageModels", "Datasets"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Lab", dependencies: ["Editing", "Measurements", "Datasets", "LanguageModels", "Tensors"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        // LuaShim is the only C code (Lua macros, trampolines, Ctrl-C hook) and also wraps
        // libedit for the REPL: Swift 6 cannot touch libedit's mutable C globals directly.
        .target(name: "LuaShim", dependencies: ["CLua"], path: "Sources/LuaShim",
                linkerSettings: [.linkedLibrary("edit")]),
        .target(name: "Scripting", dependencies: ["CLua", "LuaShim", "Tensors", "LanguageModels", "Datasets", "Editing", "Measurements", "Lab"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "editlab",
                          dependencies: ["Tensors", "LanguageModels", "Datasets", "Editing", "Measurements", "Scripting", "CBLAS",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "LanguageModelsTests", dependencies: ["LanguageModels", "Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "LanguageModels", "Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "EditingTests", dependencies: ["Editing", "Datasets", "LanguageModels", "Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "MeasurementsTests", dependencies: ["Measurements", "Datasets", "LanguageModels", "Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "LabTests", dependencies: ["Lab", "Editing", "Datasets", "LanguageModels", "Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "ScriptingTests", dependencies: ["Scripting", "LanguageModels", "Tensors"],
                    exclude: ["lua"],  // Lua test scripts, run through the host by the Swift tests
                    swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
