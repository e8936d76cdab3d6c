import Foundation

/// How ``ExperimentReport/svg(options:)`` draws the label-efficiency curves.
public struct SVGOptions: Sendable, Equatable {
    /// What the (logarithmic) x axis shows.
    public enum XAxis: String, Sendable, Equatable {
        /// The mean number of labelled users (PROTOCOL.md: the curve's x axis).
        case labelledCount = "labelled_count"
        /// The label fraction.
        case fraction
    }

    /// The x axis; default the labelled count.
    public var xAxis: XAxis = .labelledCount
    /// One panel's width in pixels; default 380.
    public var panelWidth: Double = 380
    /// One panel's height in pixels; default 280.
    public var panelHeight: Double = 280
    /// Whether to draw each panel's mean majority-class accuracy as a dotted grey line (on accuracy panels only);
    /// default true.
    public var showMajority: Bool = true
    /// Panels per row, filled task by task; `nil` (the default) gives each protocol a column (at most 3).
    public var columns: Int? = nil

    /// The defaults.
    public init() {}

    /// The Okabe–Ito palette, safe for the common colour-vision deficiencies, in drawing order.
    public static let palette = [
        "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
        "#000000",
    ]
    /// Dash patterns that tell curves apart in black and white too, used with the palette.
    public static let dashes = ["", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4", "3 3 1 3"]
}

extension ExperimentReport {
    /// Escapes `& < > " '` for XML text and attributes.
    static func xmlEscape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A coordinate with two decimals.
    static func coordinate(_ value: Double) -> String { fixed(value, digits: 2) }

    /// Tick values on a linear axis covering `[low, high]`, with a 1-2-5 step giving about five ticks.
    static func linearTicks(low: Double, high: Double) -> (low: Double, high: Double, ticks: [Double]) {
        var low = low
        var high = high
        if high - low < 1e-9 {
            low -= 0.05
            high += 0.05
        }
        let rough = (high - low) / 5
        let magnitude = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
        let first = floor(low / step) * step
        let last = ceil(high / step) * step
        let count = Int(((last - first) / step).rounded())
        return (first, last, (0...count).map { first + Double($0) * step })
    }

    /// Tick values on a log axis covering `[low, high]`: 1, 2 and 5 times the powers of ten inside it
    /// (or only the powers of ten when there are more than 8 such ticks).
    static func logTicks(low: Double, high: Double) -> [Double] {
        let firstDecade = Int(floor(log10(low)))
        let lastDecade = Int(ceil(log10(high)))
        var ticks: [Double] = []
        for decade in firstDecade...lastDecade {
            for multiple in [1.0, 2, 5] {
                let value = multiple * pow(10, Double(decade))
                if value >= low * 0.999 && value <= high * 1.001 { ticks.append(value) }
            }
        }
        if ticks.count > 8 { ticks = ticks.filter { abs(log10($0) - log10($0).rounded()) < 1e-9 } }
        return ticks
    }

    /// One SVG element: `<name a="v" …>content</name>`, or self-closing without content. Attribute values and
    /// `text` are XML-escaped; `children` are inserted as they are (already markup).
    static func element(
        _ name: String, _ attributes: KeyValuePairs<String, String> = [:], text: String? = nil,
        children: [String]? = nil
    ) -> String {
        var open = "<" + name
        for (key, value) in attributes { open += " \(key)=\"\(xmlEscape(value))\"" }
        if let text { return open + ">" + xmlEscape(text) + "</\(name)>" }
        if let children { return open + ">\n" + children.joined(separator: "\n") + "\n</\(name)>" }
        return open + "/>"
    }

    /// The label-efficiency curves as a standalone SVG document: one panel per task × protocol (a row per task, a
    /// column per protocol), a logarithmic x axis (labelled count or fraction), the metric on the y axis, one
    /// polyline per series (`<g class="curve" data-method="…">`) with ±1 sd error bars over seeds, a legend, and
    /// the Okabe–Ito palette with dash patterns.
    public func svg(options: SVGOptions = SVGOptions()) -> String {
        var tasks: [String] = []
        var protocols: [String] = []
        var methods: [String] = []
        for row in labelEfficiency {
            if !tasks.contains(row.task) { tasks.append(row.task) }
            if !protocols.contains(row.evaluationProtocol) { protocols.append(row.evaluationProtocol) }
            if !methods.contains(row.method) { methods.append(row.method) }
        }
        for row in probeCurves where !methods.contains(row.method) { methods.append(row.method) }
        let panels = tasks.flatMap { task in
            protocols.compactMap { p in
                labelEfficiency.contains { $0.task == task && $0.evaluationProtocol == p } ? (task, p) : nil
            }
        }
        let columns = options.columns.map { max(1, min($0, panels.count)) } ?? max(1, min(protocols.count, 3))
        let panelCount = panels.count + (probeCurves.isEmpty ? 0 : 1)
        let gridRows = max(1, (panelCount + columns - 1) / columns)
        let margin = 20.0
        let titleHeight = 30.0
        let width = margin * 2 + Double(columns) * options.panelWidth
        // As many legend entries per row as fit (about 170 px each), at most 4.
        let legendPerRow = max(1, min(4, Int((width - 2 * margin) / 170)))
        let legendEntries = methods.count + (options.showMajority ? 1 : 0)
        let legendRows = (legendEntries + legendPerRow - 1) / legendPerRow
        let legendHeight = 22.0 * Double(max(1, legendRows)) + 8
        let height = titleHeight + legendHeight + Double(gridRows) * options.panelHeight + margin
        let c = Self.coordinate
        var body: [String] = []
        let metricTitle = metric.title(forTasks: tasks)
        body.append(Self.element(
            "title", text: "Label efficiency of \(experiment): \(metricTitle); error bars ±1 sd over seeds"))
        body.append(Self.element(
            "rect", ["x": "0", "y": "0", "width": c(width), "height": c(height), "fill": "#FFFFFF"]))
        let titleText = "\(experiment): \(metricTitle) vs labels (error bars ±1 sd over seeds)"
        // Shrink the title to the drawing's width (about 0.6 em per character in a sans-serif bold face).
        let titleSize = min(15, (width - 2 * margin) / (0.6 * Double(max(1, titleText.count))))
        body.append(Self.element(
            "text", ["class": "title", "x": c(width / 2), "y": "20", "text-anchor": "middle",
                     "font-size": c(titleSize), "font-weight": "bold"],
            text: titleText))

        var entries = methods.enumerated().map { index, method in
            (label: method, colour: SVGOptions.palette[index % SVGOptions.palette.count],
             dash: SVGOptions.dashes[index % SVGOptions.dashes.count], width: "2")
        }
        if options.showMajority { entries.append(("majority class", "#999999", "2 2", "1.5")) }
        let legend = entries.enumerated().map { index, entry in
            let x = margin + Double(index % legendPerRow) * (width - 2 * margin) / Double(legendPerRow)
            let y = titleHeight + 14 + 22 * Double(index / legendPerRow)
            return Self.element("g", ["class": "legend-entry"], children: [
                Self.element("line", ["x1": c(x), "y1": c(y - 4), "x2": c(x + 28), "y2": c(y - 4),
                                      "stroke": entry.colour, "stroke-width": entry.width,
                                      "stroke-dasharray": entry.dash.isEmpty ? "none" : entry.dash]),
                Self.element("text", ["x": c(x + 34), "y": c(y)], text: entry.label),
            ])
        }
        body.append(Self.element("g", ["class": "legend"], children: legend))

        for (panelIndex, panel) in panels.enumerated() {
            let left = margin + Double(panelIndex % columns) * options.panelWidth
            let top = titleHeight + legendHeight + Double(panelIndex / columns) * options.panelHeight
            body.append(drawPanel(task: panel.0, evaluationProtocol: panel.1, methods: methods, left: left, top: top,
                                  options: options))
        }
        if !probeCurves.isEmpty {
            let index = panels.count
            body.append(drawProbeCurvePanel(
                methods: methods, left: margin + Double(index % columns) * options.panelWidth,
                top: titleHeight + legendHeight + Double(index / columns) * options.panelHeight, options: options))
        }
        let svg = Self.element(
            "svg", ["xmlns": "http://www.w3.org/2000/svg", "version": "1.1", "width": c(width), "height": c(height),
                    "viewBox": "0 0 \(c(width)) \(c(height))", "font-family": "Helvetica, Arial, sans-serif",
                    "font-size": "12"],
            children: body)
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n"
    }

    private func drawPanel(
        task: String, evaluationProtocol: String, methods: [String], left: Double, top: Double, options: SVGOptions
    ) -> String {
        let rows = labelEfficiency.filter { $0.task == task && $0.evaluationProtocol == evaluationProtocol }
        func xValue(_ row: LabelEfficiencyRow) -> Double {
            options.xAxis == .fraction ? row.fraction : max(row.labelledN, 1)
        }
        // The majority-class accuracy is a reference for accuracy only (not for ROC-AUC, F1 or balanced accuracy).
        let showsAccuracy = metric == .accuracy
            || (metric == .primary && !ExperimentSpec.multiLabelTasks.contains(task))
        let majorities = rows.compactMap(\.majorityAccuracy)
        let majority = options.showMajority && showsAccuracy && !majorities.isEmpty
            ? majorities.reduce(0, +) / Double(majorities.count) : nil
        var yLow = rows.map { $0.mean - ($0.sd ?? 0) }.min() ?? 0
        var yHigh = rows.map { $0.mean + ($0.sd ?? 0) }.max() ?? 1
        if let majority {
            yLow = min(yLow, majority)
            yHigh = max(yHigh, majority)
        }
        let yAxis = Self.linearTicks(low: yLow, high: yHigh)
        var xLow = rows.map(xValue).min() ?? 1
        var xHigh = rows.map(xValue).max() ?? 10
        if xHigh / xLow < 1.5 {
            xLow /= 1.5
            xHigh *= 1.5
        }
        let logLow = log10(xLow) - 0.05 * (log10(xHigh) - log10(xLow))
        let logHigh = log10(xHigh) + 0.05 * (log10(xHigh) - log10(xLow))
        let frame = PanelFrame(left: left, top: top, options: options, yAxis: yAxis)
        let (plotTop, plotBottom) = (frame.plotTop, frame.plotBottom)
        func px(_ x: Double) -> Double {
            frame.plotLeft + (log10(x) - logLow) / (logHigh - logLow) * (frame.plotRight - frame.plotLeft)
        }
        let py = frame.y
        let c = Self.coordinate
        var out = frame.head(title: "\(task) · \(evaluationProtocol)")
        for tick in Self.logTicks(low: pow(10, logLow), high: pow(10, logHigh)) {
            let x = px(tick)
            out.append(Self.element(
                "line", ["class": "grid", "x1": c(x), "y1": c(plotTop), "x2": c(x), "y2": c(plotBottom),
                         "stroke": "#E5E5E5"]))
            out.append(Self.element(
                "text", ["class": "tick", "x": c(x), "y": c(plotBottom + 16), "text-anchor": "middle"],
                text: options.xAxis == .fraction ? Self.percent(tick) : ExperimentPlan.format(tick)))
        }
        out += frame.axisTitles(
            x: options.xAxis == .fraction ? "label fraction (log scale)" : "labelled users (log scale)",
            y: metric.axisTitle(task: task))
        if let majority {
            out.append(Self.element(
                "line", ["class": "majority", "x1": c(frame.plotLeft), "y1": c(py(majority)), "x2": c(frame.plotRight),
                         "y2": c(py(majority)), "stroke": "#999999", "stroke-width": "1.5",
                         "stroke-dasharray": "2 2"]))
        }
        for (index, method) in methods.enumerated() {
            let points = rows.filter { $0.method == method }.sorted { xValue($0) < xValue($1) }
            guard !points.isEmpty else { continue }
            let colour = SVGOptions.palette[index % SVGOptions.palette.count]
            let dash = SVGOptions.dashes[index % SVGOptions.dashes.count]
            var curve: [String] = []
            curve.append(Self.element(
                "polyline", ["fill": "none", "stroke": colour, "stroke-width": "2",
                             "stroke-dasharray": dash.isEmpty ? "none" : dash,
                             "points": points.map { "\(c(px(xValue($0)))),\(c(py($0.mean)))" }.joined(separator: " ")]))
            for point in points {
                let x = px(xValue(point))
                if let sd = point.sd, sd > 0 {
                    let (y1, y2) = (py(point.mean - sd), py(point.mean + sd))
                    curve.append(Self.element(
                        "path", ["class": "error-bar", "stroke": colour, "stroke-width": "1.2", "fill": "none",
                                 "d": "M\(c(x)) \(c(y1))V\(c(y2))M\(c(x - 3)) \(c(y1))H\(c(x + 3))"
                                    + "M\(c(x - 3)) \(c(y2))H\(c(x + 3))"]))
                }
                let labelled = Int(point.labelledN.rounded())
                let tooltip = "\(method), \(Self.percent(point.fraction)) (\(labelled) labelled): "
                    + "\(Self.fixed(point.mean)) ± \(Self.fixed(point.sd)) over \(point.n) seeds"
                curve.append(Self.element(
                    "circle", ["cx": c(x), "cy": c(py(point.mean)), "r": "3", "fill": colour],
                    children: [Self.element("title", text: tooltip)]))
            }
            out.append(Self.element("g", ["class": "curve", "data-method": method], children: curve))
        }
        return Self.element("g", ["class": "panel", "data-task": task, "data-protocol": evaluationProtocol],
                            children: out)
    }

    /// A y tick label with as many decimals as the step needs (0.05 → two).
    static func tickLabel(_ value: Double, step: Double) -> String {
        let digits = max(0, min(6, Int(ceil(-log10(step) - 1e-9))))
        return fixed(value, digits: digits)
    }
}

/// The frame every SVG panel shares: a panel of `options.panelWidth × panelHeight` at (`left`, `top`) keeps 58 px on
/// the left for the y axis, 14 on the right, 26 above for its title and 46 below for the x ticks and title; `y` maps
/// a value onto the plot's height over `yAxis`.
struct PanelFrame {
    let left: Double
    let top: Double
    let plotLeft: Double
    let plotRight: Double
    let plotTop: Double
    let plotBottom: Double
    let yAxis: (low: Double, high: Double, ticks: [Double])

    init(left: Double, top: Double, options: SVGOptions, yAxis: (low: Double, high: Double, ticks: [Double])) {
        self.left = left
        self.top = top
        plotLeft = left + 58
        plotRight = left + options.panelWidth - 14
        plotTop = top + 26
        plotBottom = top + options.panelHeight - 46
        self.yAxis = yAxis
    }

    /// The y coordinate of value `v`: `plotBottom − (v − low)/(high − low) · (plotBottom − plotTop)`.
    func y(_ value: Double) -> Double {
        plotBottom - (value - yAxis.low) / (yAxis.high - yAxis.low) * (plotBottom - plotTop)
    }

    /// The panel's title, the plot's box, and a grid line with its label at every y tick.
    func head(title: String) -> [String] {
        let c = ExperimentReport.coordinate
        var out = [
            ExperimentReport.element(
                "text", ["class": "panel-title", "x": c((plotLeft + plotRight) / 2), "y": c(top + 14),
                         "text-anchor": "middle", "font-weight": "bold"],
                text: title),
            ExperimentReport.element(
                "rect", ["x": c(plotLeft), "y": c(plotTop), "width": c(plotRight - plotLeft),
                         "height": c(plotBottom - plotTop), "fill": "none", "stroke": "#333333"]),
        ]
        let step = yAxis.ticks.count > 1 ? yAxis.ticks[1] - yAxis.ticks[0] : 0.1
        for tick in yAxis.ticks {
            out.append(ExperimentReport.element(
                "line", ["class": "grid", "x1": c(plotLeft), "y1": c(y(tick)), "x2": c(plotRight), "y2": c(y(tick)),
                         "stroke": "#E5E5E5"]))
            out.append(ExperimentReport.element(
                "text", ["class": "tick", "x": c(plotLeft - 6), "y": c(y(tick) + 4), "text-anchor": "end"],
                text: ExperimentReport.tickLabel(tick, step: step)))
        }
        return out
    }

    /// The x axis title under the plot and the y axis title, turned, on its left.
    func axisTitles(x: String, y: String) -> [String] {
        let c = ExperimentReport.coordinate
        let middle = (plotTop + plotBottom) / 2
        return [
            ExperimentReport.element(
                "text", ["class": "axis-label", "x": c((plotLeft + plotRight) / 2), "y": c(plotBottom + 36),
                         "text-anchor": "middle"],
                text: x),
            ExperimentReport.element(
                "text", ["class": "axis-label", "x": c(left + 14), "y": c(middle), "text-anchor": "middle",
                         "transform": "rotate(-90 \(c(left + 14)) \(c(middle)))"],
                text: y),
        ]
    }
}
