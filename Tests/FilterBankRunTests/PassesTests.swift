import Foundation
import Testing
import FilterBankIO
import FilterBankKit
import FilterBankTestSupport
@testable import FilterBankRun

/// Outputs written in passes of a few open files are the same bytes as in one pass.
@Suite struct PassesTests {
    static func input(_ dir: String, channels: Int) throws -> String {
        var state: UInt64 = 0x1234_5678_9ABC_DEF1
        let shape = TensorShape(batch: 2, height: 13, width: 17, channels: channels)
        let values: [Float] = (0..<shape.count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(state % 1000) / 1000
        }
        let path = dir + "/in.npy"
        try NpyFile.write(Tensor(shape: shape, values: values), to: path)
        return path
    }

    /// With 5 files a pass and 3 kernels, a pass takes whole input channels: 3 files.
    @Test(arguments: [(ApplyJob.Mapping().mode, 1, 12), (.symmetric, 3, 4), (.minmax, 5, 4), (.clamp, 64, 1)] as [(MappingMode, Int, Int)])
    func groupedWritingEqualsOnePass(_ mode: MappingMode, _ filesPerPass: Int, _ passes: Int) throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        let path = try Self.input(root, channels: 4)
        var job = ApplyJob(bank: .kernels([try KernelSpec(parsing: "sobel-x").kernel, try KernelSpec(parsing: "gaussian").kernel,
                                            try KernelSpec(parsing: "log").kernel], name: nil),
                           outputDirectory: root + "/one")
        job.mapping.mode = mode
        job.output.statistics = true
        job.output.montage = ApplyJob.Montage(path: "{stem}-sheet.png", colormap: .viridis)
        let one = try job.run(input: path)
        job.output.directory = root + "/many"
        job.output.filesPerPass = filesPerPass
        let prepared = try job.prepare(input: path)
        #expect(try job.passes(for: prepared).count == passes)
        let many = try job.execute(prepared)
        #expect(one.outputs.count == 2 * 12 + 2 + 1)
        #expect(Set(one.outputs.map { PathText.basename($0) }) == Set(many.outputs.map { PathText.basename($0) }))
        for file in one.outputs {
            let name = PathText.basename(file)
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(contentsOf: URL(fileURLWithPath: root + "/many/" + name)), "\(name) \(mode) \(filesPerPass)")
        }
    }

    @Test func smallInputsAreReadOnceForEveryPass() throws {
        let root = try CodecFixtures.temporaryDirectory()
        defer { CodecFixtures.remove(root) }
        let path = try Self.input(root, channels: 2)
        var job = ApplyJob(outputDirectory: root + "/out")
        job.output.filesPerPass = 1
        let prepared = try job.prepare(input: path)
        let inputs = PassInputs(prepared, job: job, reads: 4)
        #expect(inputs.caches)
        let passes = try job.passes(for: prepared)
        #expect(passes.map(\.outputs) == [[0], [1], [2], [3]])
        #expect(passes.map(\.inputChannels) == [[0], [0], [1], [1]])
        // Each pass gets the whole input again, through its own channels.
        for pass in passes {
            let source = try inputs.source(for: pass, writing: true)
            #expect(source.shape.channels == 1 && source.shape.batch == 2)
        }
        #expect(!PassInputs(prepared, job: job, reads: 1).caches)
    }
}
