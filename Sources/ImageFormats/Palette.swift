import Foundation

/// A fixed categorical palette: colour k for class, series or transport cell k, the same on
/// every run and every machine.
///
/// The first ten are matplotlib's "tab10" (familiar, colour-blind tolerable); the next twenty
/// are from Kelly's colours of maximum contrast and other well-separated hues, ordered so that
/// consecutive entries differ strongly. Beyond `fixed.count`, colours continue by golden-ratio
/// steps around the hue circle, so any index has a colour and neighbouring indices stay apart.
public enum Palette {
    /// The 30 hand-picked colours.
    public static let fixed: [Color] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD, 0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
        0xF3C300, 0x604E97, 0x8DB600, 0xBE0032, 0xA1CAF1, 0x654522, 0xF99379, 0x008856, 0x882D17, 0xFF00FF,
        0xC2B280, 0xE25822, 0x2B3D26, 0x2200FF, 0x000080, 0x55FF77, 0xB3446C, 0x00FF00, 0x4B0082, 0x8800DD,
    ].map { Color(hex: $0) }

    /// Colour number `index` (any non-negative integer); negative indices give mid grey.
    public static func color(_ index: Int) -> Color {
        if index < 0 { return .grey }
        if index < fixed.count { return fixed[index] }
        // Golden-ratio hue stepping; saturation and value alternate so adjacent indices differ twice.
        let k = index - fixed.count
        let hue = (Double(k) * 0.618_033_988_749_895).truncatingRemainder(dividingBy: 1)
        let saturation = k % 2 == 0 ? 0.75 : 0.5
        let value = (k / 2) % 2 == 0 ? 0.85 : 0.65
        return hsv(hue: hue, saturation: saturation, value: value)
    }

    /// A colour from hue, saturation, value, all in [0,1].
    public static func hsv(hue: Double, saturation: Double, value: Double) -> Color {
        let h = (hue - hue.rounded(.down)) * 6
        let sector = Int(h) % 6
        let f = h - h.rounded(.down)
        let p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f))
        let (r, g, b): (Double, Double, Double)
        switch sector {
        case 0: (r, g, b) = (value, t, p)
        case 1: (r, g, b) = (q, value, p)
        case 2: (r, g, b) = (p, value, t)
        case 3: (r, g, b) = (p, q, value)
        case 4: (r, g, b) = (t, p, value)
        default: (r, g, b) = (value, p, q)
        }
        func byte(_ x: Double) -> UInt8 { UInt8((min(1, max(0, x)) * 255).rounded()) }
        return Color(red: byte(r), green: byte(g), blue: byte(b))
    }
}
