import Foundation

/// How the pages show numbers, times and durations.
public enum Format {
    /// `12,345`.
    public static func integer(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A number with `digits` decimals (`−` for negatives, as the report prints them).
    public static func fixed(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        let text = String(format: "%.\(max(0, digits))f", value)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }

    /// A signed number with `digits` decimals: `+0.012`, `−0.004`.
    public static func signed(_ value: Double, digits: Int = 3) -> String {
        let text = fixed(value, digits: digits)
        return value >= 0 && !text.hasPrefix("+") ? "+" + text : text
    }

    /// A percentage, `52%`, rounded down so that only a finished thing shows 100%.
    public static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "" }
        return "\(Int((fraction * 100).rounded(.down)))%"
    }

    /// A label fraction: `1%`, `2.5%`, `100%`.
    public static func fraction(_ value: Double) -> String {
        let percent = value * 100
        if abs(percent - percent.rounded()) < 1e-9 { return "\(Int(percent.rounded()))%" }
        return String(format: "%g%%", percent)
    }

    /// `2026-11-29T17:53:45Z`.
    public static func iso8601(_ seconds: Double) -> String {
        stamp(seconds, format: "%04d-%02d-%02dT%02d:%02d:%02dZ")
    }

    /// `2026-11-29 17:53:45` (UTC).
    public static func dateTime(_ seconds: Double) -> String {
        stamp(seconds, format: "%04d-%02d-%02d %02d:%02d:%02d")
    }

    private static func stamp(_ seconds: Double, format: String) -> String {
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: format, Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// `45 s`, `3 min 20 s`, `2 h 05 min`, `3 d 04 h`; negative durations get a `−`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "" }
        if seconds < 0 { return "−" + duration(-seconds) }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total) s" }
        if total < 3_600 { return "\(total / 60) min \(total % 60) s" }
        if total < 86_400 { return String(format: "%d h %02d min", total / 3_600, total % 3_600 / 60) }
        return String(format: "%d d %02d h", total / 86_400, total % 86_400 / 3_600)
    }

    /// A number with about `significant` significant digits, for chart labels: `1.23`, `0.00412`, `1.2e+04`.
    public static func short(_ value: Double, significant: Int = 3) -> String {
        guard value.isFinite else { return fixed(value) }
        let text = String(format: "%.\(significant)g", value)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }
}
