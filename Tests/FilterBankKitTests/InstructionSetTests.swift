import Testing
import FilterBankKit

/// The run-time choice of the kernels' instruction set.
@Suite struct InstructionSetTests {
    @Test func levelsAreChosenFromTheCPU() {
        let levels = InstructionSet.available
        #expect(levels.first == .portable, "the portable kernels run everywhere")
        #expect(levels == levels.sorted())
        #expect(levels.contains(InstructionSet.current))
        #if !arch(x86_64)
        #expect(levels == [.portable])
        #endif
    }

    @Test func namesOfTheEnvironmentVariable() {
        #expect(InstructionSet(name: "sse2") == .portable)
        #expect(InstructionSet(name: "portable") == .portable)
        #expect(InstructionSet(name: "AVX2") == .avx2)
        #expect(InstructionSet(name: "avx512") == .avx512)
        #expect(InstructionSet(name: "avx10") == nil)
        #expect(InstructionSet(name: "") == nil)
        for level in InstructionSet.allCases { #expect(InstructionSet(name: level.description) == level) }
    }

    /// An engine asked for a level this CPU lacks runs one it has, with the same results.
    @Test func engineRunsALevelTheCPUHas() throws {
        let shape = TensorShape(batch: 1, height: 5, width: 40, channels: 3)
        let bank = try FilterBank(depthwise: DepthwiseFilter(kernels: [sobelX], height: 3, width: 3, channels: 3))
        let plan = try ConvolutionPlan(input: shape, bank: bank)
        for level in InstructionSet.allCases {
            #expect(InstructionSet.available.contains(ConvolutionEngine(plan: plan, instructionSet: level).instructionSet))
        }
    }
}
