// swift-tools-version:6.0
//
// filterbank: apply depthwise and depthwise-separable convolution filter banks
// (TensorFlow semantics) to PNG/JPEG/.npy images and write one grayscale image
// per output channel.
//
// Data flows one way through the targets:
//   CImageCodecs (libpng/libjpeg, setjmp in C) -> FilterBankIO (files <-> tensors)
//   FilterBankKit (pure Swift: tensors, banks, the convolution engine, pixel mapping)
//   filterbank (thin command line)
//
// No unsafeFlags here: the package must stay usable as a dependency. Pass
// `-Xswiftc -target-cpu -Xswiftc haswell` on the command line to measure with AVX2+FMA.
import PackageDescription

let package = Package(
    name: "filterbank",
    products: [
        .executable(name: "filterbank", targets: ["filterbank"]),
        .library(name: "FilterBankKit", targets: ["FilterBankKit"]),
        .library(name: "FilterBankIO", targets: ["FilterBankIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "CImageCodecs",
            linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]
        ),
        // libm: Float/Double squareRoot and friends, needed when Foundation is not linked.
        .target(name: "FilterBankKit", linkerSettings: [.linkedLibrary("m")]),
        .target(name: "FilterBankIO", dependencies: ["CImageCodecs", "FilterBankKit"]),
        .executableTarget(
            name: "filterbank",
            dependencies: [
                "FilterBankKit", "FilterBankIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The engine benchmark (issue 6): `swift run -c release Benchmarks`. A plain
        // executable target: package-benchmark would need tools 6.1 and traits for
        // what a timing loop, ru_maxrss and a reference check do here.
        .executableTarget(name: "Benchmarks", dependencies: ["FilterBankKit", "FilterBankIO"], path: "Benchmarks"),
        .testTarget(name: "FilterBankKitTests", dependencies: ["FilterBankKit"],
                    exclude: []),
        .testTarget(name: "FilterBankIOTests", dependencies: ["FilterBankIO", "FilterBankKit"]),
        .testTarget(name: "FilterbankCLITests", dependencies: ["filterbank", "FilterBankIO", "FilterBankKit"]),
    ]
)
