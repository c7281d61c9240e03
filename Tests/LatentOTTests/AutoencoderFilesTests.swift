import Testing
import Foundation
import NeuralNet
import LatentOT

@Suite struct AutoencoderFilesTests {
    /// A configuration edited to ask for a huge network (found from outside: "failed to allocate
    /// 20480000000032 bytes", SIGABRT) is refused before anything is built, naming both files; the
    /// untouched folder still loads.
    @Test(arguments: [
        ("imageShape", "[1, 100000, 100000]", "2^28"),
        ("imageShape", "[1, 3000, 3000]", "holds"),
        ("baseWidth", "4096", "holds"),
        ("latentDimension", "65536", "holds"),
    ])
    func hugeConfigurationsAreRefusedBeforeAllocation(field: String, value: String, expected: String) throws {
        let store = MemoryStore(location: "model")
        let model = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 3, baseWidth: 4, seed: 1)
        try AutoencoderFiles.save(model, to: store)
        #expect(try AutoencoderFiles.load(from: store).parameterCount == model.parameterCount)

        var object = try JSONSerialization.jsonObject(with: store.files[AutoencoderFiles.configuration]!) as! [String: Any]
        object[field] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        if value == "[1, 3000, 3000]" { object["architecture"] = "mlp" }
        try store.write(JSONSerialization.data(withJSONObject: object), named: AutoencoderFiles.configuration)
        #expect { _ = try AutoencoderFiles.load(from: store) } throws: { error in
            "\(error)".contains("model/autoencoder.json") && "\(error)".contains(expected)
        }
    }
}
