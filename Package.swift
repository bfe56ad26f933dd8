// swift-tools-version: 6.1
import PackageDescription

// Language modes, chosen per target:
// - Tensors, LanguageModels, editlab and the tests use Swift 6 with complete
//   concurrency checking: they are plain Swift and must stay data-race free.
//   Tensors are deliberately not Sendable (views share mutable storage).
// - The Lua host (a later target) meets the C API, where Swift 6's checking of
//   global C state does not help; it will pick its own mode when it lands.
let package = Package(
    name: "EditLab",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "editlab", targets: ["editlab"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "LanguageModels", targets: ["LanguageModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.4",
                       providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .target(name: "Tensors", dependencies: ["CBLAS"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "LanguageModels", dependencies: ["Tensors"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "editlab",
                          dependencies: ["Tensors", "LanguageModels", "CBLAS",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "LanguageModelsTests", dependencies: ["LanguageModels", "Tensors"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
