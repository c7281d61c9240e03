import Testing
import LatentOT

@Suite struct CodeDeduplicationTests {
    /// Exact duplicates merge into their first occurrence with the summed weight.
    @Test func exactDuplicatesMerge() {
        let codes: [Float] = [1, 2, 3, 4, 1, 2, 5, 6]
        let merged = CodeDeduplication.merge(codes, dimension: 2)
        #expect(merged.codes == [1, 2, 3, 4, 5, 6])
        #expect(merged.duplicateCount == 1)
        #expect(merged.weights == [0.5, 0.25, 0.25])
    }

    /// Codes that differ in their last digits but coincide once normalised are merged too; the first
    /// original row is kept with the class's summed weight.
    @Test func rowsEqualAfterNormalisationMerge() {
        let codes: [Float] = [0.11, 0.5, 0.12, 0.14]
        let merged = CodeDeduplication.merge(codes, dimension: 1) { rows in rows.map { ($0 * 10).rounded() / 10 } }
        #expect(merged.codes == [0.11, 0.5])
        #expect(merged.duplicateCount == 2)
        #expect(abs(merged.weights[0] - 0.75) < 1e-12 && abs(merged.weights[1] - 0.25) < 1e-12)
    }

    /// Distinct normalised rows are left alone.
    @Test func distinctRowsStay() {
        let codes: [Float] = [0.1, 0.2, 0.3]
        let merged = CodeDeduplication.merge(codes, dimension: 1) { $0 }
        #expect(merged.codes == codes)
        #expect(merged.duplicateCount == 0)
    }
}
