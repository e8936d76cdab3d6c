import Foundation
import JobQueue

/// Small pieces of markup the pages share: state bars, progress bars, line charts.
enum Widgets {
    /// The states in the order bars draw them.
    static let stateOrder: [JobState] = [.succeeded, .running, .queued, .blocked, .failed, .cancelled]

    /// A bar of job counts per state, coloured by state, with the counts as text under it (and as its
    /// accessible name), so colour is never the only cue.
    static func stateBar(_ counts: [JobState: Int]) -> Markup {
        let total = counts.values.reduce(0, +)
        let parts = stateOrder.compactMap { state -> (JobState, Int)? in
            let count = counts[state] ?? 0
            return count > 0 ? (state, count) : nil
        }
        let words = parts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        let label = total == 0 ? "no jobs" : words
        let segments = Markup.joined(parts.map { state, count in
            let width = String(format: "%.2f", 100 * Double(count) / Double(max(1, total)))
            return "<span class=\"s-\(state.rawValue)\" style=\"width:\(width)%\" title=\"\(count) \(state.rawValue)\"></span>"
        })
        return """
            <div class="bar" role="img" aria-label="\(label)">\(segments)</div>\
            <span class="counts">\(label)</span>
            """
    }

    /// The colour key of ``stateBar(_:)``.
    static let stateLegend: Markup = {
        let entries = Markup.joined(stateOrder.map { state in
            "<span><i class=\"s-\(state.rawValue)\"></i>\(state.rawValue)</span>"
        })
        return "<div class=\"legend\" aria-hidden=\"true\">\(entries)</div>"
    }()

    /// A progress bar with its percentage and optional message, e.g. `[====  ] 52% epoch 3/8`.
    static func progress(_ fraction: Double, message: String? = nil) -> Markup {
        let clamped = min(1, max(0, fraction.isFinite ? fraction : 0))
        let width = String(format: "%.1f", 100 * clamped)
        let text: Markup = message.map { " <span class=\"text\">\($0)</span>" } ?? .empty
        return """
            <span class="progress"><span class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" \
            aria-valuenow="\(width)"><span class="s-running" style="width:\(width)%"></span></span>\
            \(Format.percent(clamped))\(text)</span>
            """
    }

    /// Line colours of the metric charts: the report's Okabe–Ito palette without its yellow, which is too faint
    /// for a thin line on white.
    static let chartColours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// A job state as a word, highlighted for `failed` and `running`.
    static func state(_ state: String) -> Markup {
        "<span class=\"state state-\(state)\">\(state)</span>"
    }

    /// A small line chart of one metric over steps, as inline SVG: the curve, its first and last step on the x
    /// axis, its range on the y axis, and a title and accessible description with the values.
    static func lineChart(title: String, points: [(step: Double, value: Double)], colour: String) -> Markup {
        let finite = points.filter { $0.step.isFinite && $0.value.isFinite }
        let width = 240.0
        let height = 128.0
        let left = 52.0
        let right = 8.0
        let top = 20.0
        let bottom = 22.0
        guard let first = finite.first, let last = finite.last else {
            return "<figure class=\"chart\"><figcaption>\(title): no values</figcaption></figure>"
        }
        let xs = finite.map(\.step)
        let ys = finite.map(\.value)
        var xLow = xs.min()!
        var xHigh = xs.max()!
        var yLow = ys.min()!
        var yHigh = ys.max()!
        if xHigh - xLow < 1e-12 { xLow -= 1; xHigh += 1 }
        if yHigh - yLow < 1e-12 * max(1, abs(yHigh)) {
            let pad = max(abs(yHigh) * 0.05, 1e-6)
            yLow -= pad
            yHigh += pad
        }
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * (width - left - right) }
        func py(_ y: Double) -> Double { height - bottom - (y - yLow) / (yHigh - yLow) * (height - top - bottom) }
        func c(_ value: Double) -> String { String(format: "%.1f", value) }
        let polyline = finite.map { "\(c(px($0.step))),\(c(py($0.value)))" }.joined(separator: " ")
        let dots: Markup = finite.count <= 40
            ? Markup.joined(finite.map { "<circle cx=\"\(c(px($0.step)))\" cy=\"\(c(py($0.value)))\" r=\"1.8\" fill=\"\(colour)\"/>" })
            : .empty
        let description = "\(title): \(Format.short(first.value, significant: 4)) at step \(Format.short(first.step, significant: 6)) "
            + "to \(Format.short(last.value, significant: 4)) at step \(Format.short(last.step, significant: 6)), "
            + "\(finite.count) points, range \(Format.short(yLow, significant: 4)) to \(Format.short(yHigh, significant: 4))"
        return """
            <svg viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" \
            role="img" aria-label="\(description)" font-family="system-ui,sans-serif" font-size="10">\
            <title>\(description)</title>\
            <text x="\(c(left))" y="12" font-weight="bold" font-size="11">\(title)</text>\
            <rect x="\(c(left))" y="\(c(top))" width="\(c(width - left - right))" height="\(c(height - top - bottom))" \
            fill="none" stroke="#999"/>\
            <text x="\(c(left - 4))" y="\(c(top + 8))" text-anchor="end">\(Format.short(yHigh))</text>\
            <text x="\(c(left - 4))" y="\(c(height - bottom))" text-anchor="end">\(Format.short(yLow))</text>\
            <text x="\(c(left))" y="\(c(height - 6))">\(Format.short(xLow, significant: 6))</text>\
            <text x="\(c(width - right))" y="\(c(height - 6))" text-anchor="end">step \(Format.short(xHigh, significant: 6))</text>\
            <polyline fill="none" stroke="\(colour)" stroke-width="1.8" points="\(polyline)"/>\(dots)</svg>
            """
    }
}
