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
        let frame = PanelFrame(left: left, top: top, options: options, yAxis: yAxis)
        func px(_ x: Double) -> Double {
            frame.plotLeft + (x - xAxis.low) / (xAxis.high - xAxis.low) * (frame.plotRight - frame.plotLeft)
        }
        let py = frame.y
        let c = Self.coordinate
        let metricName = rows.first?.metric ?? "probe_accuracy"
        var out = frame.head(title: "training curve · fast probe (eval_every)")
        for tick in xAxis.ticks {
            out.append(Self.element(
                "text", ["class": "tick", "x": c(px(tick)), "y": c(frame.plotBottom + 16), "text-anchor": "middle"],
                text: ExperimentPlan.format(tick)))
        }
        out += frame.axisTitles(x: "pretraining epoch",
                                y: metricName == "probe_roc_auc" ? "probe macro ROC-AUC" : "probe accuracy")
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
