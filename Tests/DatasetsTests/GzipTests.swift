import Testing
import Foundation
@testable import Datasets
