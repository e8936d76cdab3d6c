import Foundation

/// One point of a training curve: a series' probe score after `epoch` epochs, mean and sd over seeds.
/// Read from `seqtwins.probe_curves_of`.
public struct ProbeCurveRow: Sendable, Equatable, Codable {
    /// The series.
    public var method: String
    /// The metric name (`probe_accuracy` or `probe_roc_auc`).
    public var metric: String
    /// The epoch.
    public var epoch: Int
    /// The seeds with a value.
    public var n: Int
    /// The mean over seeds.
    public var mean: Double
    /// The sample standard deviation over seeds; `nil` for one seed.
    public var sd: Double?
}

/// Fine-tuning against the linear probe of the same encoder at one task and fraction, paired by seed:
/// `fine_tune − linear_probe`. Read from `seqtwins.protocol_gain_of`.
public struct ProtocolGainRow: Sendable, Equatable, Codable {
    /// The series (its encoder is both fine-tuned and probed).
    public var method: String
    /// The task.
    public var task: String
    /// The label fraction.
    public var fraction: Double
    /// The seeds with both protocols.
    public var pairs: Int
    /// The mean of the linear probe over those seeds.
    public var probeMean: Double
    /// The mean of fine-tuning over those seeds.
    public var fineTuneMean: Double
    /// `mean(fine_tune − linear_probe)`.
    public var meanDifference: Double
    /// The lower end of its 95% t-interval; `nil` with one pair.
    public var lower95: Double?
    /// The upper end; `nil` with one pair.
    public var upper95: Double?

    enum CodingKeys: String, CodingKey {
        case method, task, fraction, pairs
        case probeMean = "probe_mean"
        case fineTuneMean = "fine_tune_mean"
        case meanDifference = "mean_difference"
        case lower95 = "lower_95"
        case upper95 = "upper_95"
    }
}

extension ExperimentReport {
    /// The fine-tune-against-probe table as aligned text (empty when no series has both protocols).
    public func protocolGainText() -> String {
        guard !protocolGains.isEmpty else { return "" }
        let header = ["task", "method", "fraction", "pairs", "probe", "fine-tune", "difference", "95% interval"]
        let rows = protocolGains.map { row in
            let interval =
                row.lower95 == nil
                ? "–" : "[\(Self.fixed(row.lower95, signed: true)), \(Self.fixed(row.upper95, signed: true))]"
            return [
                row.task, row.method, Self.percent(row.fraction), "\(row.pairs)", Self.fixed(row.probeMean),
                Self.fixed(row.fineTuneMean), Self.fixed(row.meanDifference, signed: true), interval,
            ]
        }
        return "fine_tune against linear_probe of the same encoder: \(metric.title), mean paired difference over seeds\n"
            + alignedTable(header: header, rows: rows, rightAligned: [2, 3, 4, 5, 6, 7])
    }

    /// The probe curves as text: one table per series (epoch, seeds, mean, sd), or empty without curves.
    public func probeCurveText() -> String {
        guard !probeCurves.isEmpty else { return "" }
        var series: [String] = []
        for row in probeCurves where !series.contains(row.method) { series.append(row.method) }
        return series.map { method in
            let rows = probeCurves.filter { $0.method == method }
            let title = "training curve of \(method): \(rows[0].metric) of the fast probe on a fixed labelled subset "
                + "(eval_every), mean and sd over seeds"
            return title + "\n" + alignedTable(
                header: ["epoch", "seeds", "mean", "sd"],
                rows: rows.map { ["\($0.epoch)", "\($0.n)", Self.fixed($0.mean), Self.fixed($0.sd)] },
                rightAligned: [0, 1, 2, 3])
        }.joined(separator: "\n\n")
    }

    /// The probe-curve panel of the SVG: score against epoch (linear axes), one polyline per series with ±1 sd
    /// error bars, colours as in the label-efficiency panels (`methods` gives the order).
    func drawProbeCurvePanel(methods: [String], left: Double, top: Double, options: SVGOptions) -> String {
        let rows = probeCurves
        let yAxis = Self.linearTicks(low: rows.map { $0.mean - ($0.sd ?? 0) }.min() ?? 0,
                                     high: rows.map { $0.mean + ($0.sd ?? 0) }.max() ?? 1)
        let xAxis = Self.linearTicks(low: 0, high: Double(max(rows.map(\.epoch).max() ?? 1, 1)))
        let plotLeft = left + 58
        let plotRight = left + options.panelWidth - 14
        let plotTop = top + 26
        let plotBottom = top + options.panelHeight - 46
        func px(_ x: Double) -> Double { plotLeft + (x - xAxis.low) / (xAxis.high - xAxis.low) * (plotRight - plotLeft) }
        func py(_ y: Double) -> Double {
            plotBottom - (y - yAxis.low) / (yAxis.high - yAxis.low) * (plotBottom - plotTop)
        }
        let c: (Double) -> String = { Self.fixed($0, digits: 2) }
        let metricName = rows.first?.metric ?? "probe_accuracy"
        var out: [String] = []
        out.append(Self.element(
            "text", ["class": "panel-title", "x": c((plotLeft + plotRight) / 2), "y": c(top + 14),
                     "text-anchor": "middle", "font-weight": "bold"],
            text: "training curve · fast probe (eval_every)"))
        out.append(Self.element(
            "rect", ["x": c(plotLeft), "y": c(plotTop), "width": c(plotRight - plotLeft),
                     "height": c(plotBottom - plotTop), "fill": "none", "stroke": "#333333"]))
        let yStep = yAxis.ticks.count > 1 ? yAxis.ticks[1] - yAxis.ticks[0] : 0.1
        let yDigits = max(0, min(6, Int(ceil(-log10(yStep) - 1e-9))))
        for tick in yAxis.ticks {
            out.append(Self.element(
                "line", ["class": "grid", "x1": c(plotLeft), "y1": c(py(tick)), "x2": c(plotRight), "y2": c(py(tick)),
                         "stroke": "#E5E5E5"]))
            out.append(Self.element(
                "text", ["class": "tick", "x": c(plotLeft - 6), "y": c(py(tick) + 4), "text-anchor": "end"],
                text: Self.fixed(tick, digits: yDigits)))
        }
        for tick in xAxis.ticks {
            out.append(Self.element(
                "text", ["class": "tick", "x": c(px(tick)), "y": c(plotBottom + 16), "text-anchor": "middle"],
                text: ExperimentPlan.format(tick)))
        }
        out.append(Self.element(
            "text", ["class": "axis-label", "x": c((plotLeft + plotRight) / 2), "y": c(plotBottom + 36),
                     "text-anchor": "middle"], text: "pretraining epoch"))
        let yMiddle = (plotTop + plotBottom) / 2
        out.append(Self.element(
            "text", ["class": "axis-label", "x": c(left + 14), "y": c(yMiddle), "text-anchor": "middle",
                     "transform": "rotate(-90 \(c(left + 14)) \(c(yMiddle)))"],
            text: metricName == "probe_roc_auc" ? "probe macro ROC-AUC" : "probe accuracy"))
        for (index, method) in methods.enumerated() {
            let points = rows.filter { $0.method == method }
            guard !points.isEmpty else { continue }
            let colour = SVGOptions.palette[index % SVGOptions.palette.count]
            let dash = SVGOptions.dashes[index % SVGOptions.dashes.count]
            var curve: [String] = [Self.element(
                "polyline", ["fill": "none", "stroke": colour, "stroke-width": "2",
                             "stroke-dasharray": dash.isEmpty ? "none" : dash,
                             "points": points.map { "\(c(px(Double($0.epoch)))),\(c(py($0.mean)))" }
                                 .joined(separator: " ")])]
            for point in points {
                let x = px(Double(point.epoch))
                if let sd = point.sd, sd > 0 {
                    curve.append(Self.element(
                        "path", ["class": "error-bar", "stroke": colour, "stroke-width": "1.2", "fill": "none",
                                 "d": "M\(c(x)) \(c(py(point.mean - sd)))V\(c(py(point.mean + sd)))"]))
                }
                curve.append(Self.element(
                    "circle", ["cx": c(x), "cy": c(py(point.mean)), "r": "2.5", "fill": colour],
                    children: [Self.element("title", text: "\(method), epoch \(point.epoch): \(Self.fixed(point.mean))"
                                                + " ± \(Self.fixed(point.sd)) over \(point.n) seeds")]))
            }
            out.append(Self.element("g", ["class": "probe-curve", "data-method": method], children: curve))
        }
        return Self.element("g", ["class": "panel", "data-panel": "probe-curves"], children: out)
    }
}
