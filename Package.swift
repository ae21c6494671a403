// swift-tools-version:6.0
//
// filterbank: apply depthwise and depthwise-separable convolution filter banks
// (TensorFlow semantics) to PNG/JPEG/.npy images and write one grayscale image
// per output channel.
//
// The targets follow the data, one way:
//
//   file -> decode -> tensor -> bank -> plan -> path -> planes -> pixels -> encode -> file
//   CImageCodecs, CZlibShim   C shims: libpng/libjpeg (setjmp stays in C), zlib's inflate and CRC-32
//   CEngineKernels            C: the engine's inner loops per instruction set (AVX2+FMA, AVX-512)
//   FilterBankIO              file formats: images, arrays (.npy/.npz), bank files, atomic files
//   FilterBankKit             pure Swift: tensors, banks, the plan, the engine's paths, pixel mapping
//   FilterBankRun             jobs and batch runs: what to read, what to write, reports, progress
//   filterbank                the thin command line: subcommands and option groups
//
// No unsafeFlags here, so that the libraries stay usable as dependencies.
// docs/architecture.md walks through the folders.
import PackageDescription

let package = Package(
    name: "filterbank",
    // Synchronization's Atomic and Mutex need macOS 15 on Darwin; Linux has them with Swift 6.
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "filterbank", targets: ["filterbank"]),
        .library(name: "FilterBankKit", targets: ["FilterBankKit"]),
        .library(name: "FilterBankIO", targets: ["FilterBankIO"]),
        .library(name: "FilterBankRun", targets: ["FilterBankRun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg")]),
        .target(name: "CZlibShim", linkerSettings: [.linkedLibrary("z")]),
        // The engine's inner loops for AVX2+FMA and AVX-512, chosen at run time (no flags needed).
        .target(name: "CEngineKernels"),
        // libm: Float/Double squareRoot and friends, needed when Foundation is not linked.
        .target(name: "FilterBankKit", dependencies: ["CEngineKernels"], linkerSettings: [.linkedLibrary("m")]),
        .target(name: "FilterBankIO", dependencies: [
            "CImageCodecs", "CZlibShim", "FilterBankKit",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .target(name: "FilterBankRun", dependencies: [
            "FilterBankIO", "FilterBankKit",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        .executableTarget(name: "filterbank", dependencies: [
            "FilterBankKit", "FilterBankIO", "FilterBankRun",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The engine benchmark: `swift run -c release Benchmarks` (docs/performance.md). A plain
        // executable: a timing loop, ru_maxrss and a reference check are all it needs.
        .executableTarget(name: "Benchmarks", dependencies: ["FilterBankKit", "FilterBankIO"], path: "Benchmarks"),
        // Fixture paths, temporary folders and error checks that the test targets share.
        .target(name: "FilterBankTestSupport", dependencies: ["FilterBankIO"], path: "Tests/TestSupport"),
        .testTarget(name: "FilterBankKitTests", dependencies: ["FilterBankKit"]),
        // CZlibShim: the fast PNG encoder's tests inflate its zlib streams with zlib itself.
        .testTarget(name: "FilterBankIOTests", dependencies: [
            "FilterBankIO", "FilterBankKit", "FilterBankTestSupport", "CZlibShim",
        ]),
        .testTarget(name: "FilterBankRunTests", dependencies: [
            "FilterBankRun", "FilterBankIO", "FilterBankKit", "FilterBankTestSupport",
        ]),
        .testTarget(name: "FilterbankCLITests", dependencies: [
            "filterbank", "FilterBankRun", "FilterBankIO", "FilterBankKit", "FilterBankTestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ]
)
