import Testing
import ImageFormats

@Test func linearTicksAreNiceMultiples() {
    #expect(AxisTicks.linear(in: 0...1, targetCount: 5) == [0, 0.2, 0.4, 0.6, 0.8, 1])
    #expect(AxisTicks.linear(in: -2.7...2.7, targetCount: 5) == [-2, -1, 0, 1, 2])
    #expect(AxisTicks.linear(in: 3...3) == [3])
    let ticks = AxisTicks.linear(in: 0.013...0.094, targetCount: 8)
    #expect(ticks.first! >= 0.013 && ticks.last! <= 0.094 && ticks.count >= 5)
}

@Test func niceStepIsOneTwoOrFiveTimesAPowerOfTen() {
    #expect(AxisTicks.niceStep(span: 10, targetCount: 5) == 2)
    #expect(AxisTicks.niceStep(span: 0.7, targetCount: 5) == 0.1)
    #expect(AxisTicks.niceStep(span: 400, targetCount: 5) == 100)
    #expect(AxisTicks.niceStep(span: 300, targetCount: 6) == 50)
}

@Test func logarithmicTicks() {
    #expect(AxisTicks.logarithmic(in: 1e-6...1) == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1])
    // Twelve decades with room for about six ticks: every second decade.
    #expect(AxisTicks.logarithmic(in: 1e-12...1, targetCount: 6).count == 7)
    // Under a decade: 1-2-5 steps.
    #expect(AxisTicks.logarithmic(in: 0.15...0.9) == [0.2, 0.5])
}

@Test func tickLabelsShareDecimalsAndAvoidNegativeZero() {
    #expect(AxisTicks.labels(for: [-0.5, 0, 0.5, 1]) == ["-0.5", "0.0", "0.5", "1.0"])
    #expect(AxisTicks.labels(for: [0, 5, 10]) == ["0", "5", "10"])
    #expect(AxisTicks.labels(for: [0, 1e7, 2e7]) == ["0", "1e7", "2e7"])
    #expect(AxisTicks.labels(for: [1e-6, 1e-3, 1, 1000], scale: .logarithmic) == ["1e-6", "0.001", "1", "1000"])
    #expect(AxisTicks.format(-0.00001, decimals: 2) == "-1e-5")
    #expect(AxisTicks.format(-0.001, decimals: 2) == "0.00")
    #expect(AxisTicks.scientific(2.5e-7) == "2.5e-7")
    #expect(AxisTicks.scientific(9.999e5) == "1e6")
}
