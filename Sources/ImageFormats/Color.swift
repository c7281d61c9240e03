/// An 8-bit sRGB colour, the unit of drawing on a `Canvas`.
public struct Color: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// A grey of the given level (0 black … 255 white).
    public init(grey level: UInt8) {
        self.init(red: level, green: level, blue: level)
    }

    public static let black = Color(grey: 0)
    public static let white = Color(grey: 255)
    public static let darkGrey = Color(grey: 64)
    public static let grey = Color(grey: 128)
    public static let lightGrey = Color(grey: 200)
    public static let red = Color(hex: 0xD62728)
    public static let green = Color(hex: 0x2CA02C)
    public static let blue = Color(hex: 0x1F77B4)
    public static let orange = Color(hex: 0xFF7F0E)

    /// `(1-fraction)·self + fraction·other`, channel by channel, rounded; fraction is clamped to [0,1].
    public func mixed(with other: Color, fraction: Double) -> Color {
        let t = min(1, max(0, fraction))
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - t) + Double(b) * t).rounded()) }
        return Color(red: mix(red, other.red), green: mix(green, other.green), blue: mix(blue, other.blue))
    }

    /// Mixed towards white by `fraction` (0 keeps the colour, 1 gives white): pale fills for cells.
    public func lightened(by fraction: Double) -> Color { mixed(with: .white, fraction: fraction) }

    /// Perceived brightness in [0,255] (Rec. 601 luma), to pick black or white text over a colour.
    public var luma: Double { 0.299 * Double(red) + 0.587 * Double(green) + 0.114 * Double(blue) }

    /// `#RRGGBB`.
    public var description: String {
        "#" + [red, green, blue].map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
