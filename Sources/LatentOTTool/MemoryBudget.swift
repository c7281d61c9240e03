import Foundation

/// The memory a command may plan on: the smaller of the system's available memory
/// (`MemAvailable` in /proc/meminfo) and the room left under the cgroup's limit (`memory.max` less
/// `memory.current`); the physical memory where neither can be read (macOS).
enum MemoryBudget {
    static func availableBytes() -> UInt64 {
        var best = ProcessInfo.processInfo.physicalMemory
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = UInt64(line.split(separator: " ").dropFirst().first ?? "") {
            best = min(best, kilobytes * 1024)
        }
        if let limitText = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = UInt64(limitText.trimmingCharacters(in: .whitespacesAndNewlines)) {
            let used = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
                .flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            best = min(best, limit > used ? limit - used : 0)
        }
        return best
    }

    /// "12.3 GB".
    static func describe(_ bytes: UInt64) -> String { String(format: "%.1f GB", Double(bytes) / 1e9) }
}
