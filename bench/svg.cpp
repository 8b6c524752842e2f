// --svg: two hand-drawn panels over the run's seconds: throughput of the scenario's main
// steps (top) and their p99 latency (bottom), plus the scenario gauge (in flight, backlog)
// as a dashed line on the top panel. No dependencies: polylines on fixed axes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bench/report.hpp"

namespace unipay::bench {

namespace {

constexpr double kWidth = 900, kPanel = 260, kLeft = 70, kRight = 20, kTop = 40, kGap = 60;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

// A panel maps seconds to x and a value to y, linearly or, for latencies that span
// microseconds to tens of seconds in one run, on a log scale from min_y.
struct Panel {
  double top;
  double max_y;
  double max_t;
  bool log = false;
  double min_y = 0.01;
  double x(double t) const { return kLeft + (kWidth - kLeft - kRight) * (max_t > 0 ? t / max_t : 0); }
  double y(double v) const {
    double share = 0;
    if (log) {
      share = (std::log10(std::max(v, min_y)) - std::log10(min_y)) / (std::log10(max_y) - std::log10(min_y));
    } else if (max_y > 0) {
      share = v / max_y;
    }
    return top + kPanel - kPanel * std::clamp(share, 0.0, 1.0);
  }
};

void axes(std::ostringstream& s, const Panel& p, const std::string& label) {
  s << "<rect x='" << kLeft << "' y='" << p.top << "' width='" << (kWidth - kLeft - kRight) << "' height='"
    << kPanel << "' fill='none' stroke='#999'/>\n";
  for (int i = 0; i <= 4; ++i) {
    double v = p.log ? p.min_y * std::pow(p.max_y / p.min_y, i / 4.0) : p.max_y * i / 4;
    char buf[32];
    std::snprintf(buf, sizeof buf, v >= 100 ? "%.0f" : (v >= 1 ? "%.1f" : "%.3f"), v);
    s << "<text x='" << (kLeft - 6) << "' y='" << (p.y(v) + 4) << "' text-anchor='end' font-size='11'>" << buf
      << "</text>\n";
  }
  s << "<text x='" << kLeft << "' y='" << (p.top - 8) << "' font-size='13'>" << label << "</text>\n";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f s", p.max_t);
  s << "<text x='" << (kWidth - kRight) << "' y='" << (p.top + kPanel + 16)
    << "' text-anchor='end' font-size='11'>" << buf << "</text>\n";
}

template <class F>
void line(std::ostringstream& s, const Panel& p, const std::vector<SeriesPoint>& series, F value,
          const char* color, bool dashed) {
  s << "<polyline fill='none' stroke='" << color << "' stroke-width='1.5'"
    << (dashed ? " stroke-dasharray='4 3'" : "") << " points='";
  for (const SeriesPoint& pt : series) s << p.x(pt.t_s) << "," << p.y(value(pt)) << " ";
  s << "'/>\n";
}

std::vector<int> drawn_steps(const Stats& stats) {
  std::vector<int> out;
  for (int i = 0; i < kSteps; ++i) {
    if (stats.count(static_cast<Step>(i)) > 0) out.push_back(i);
  }
  return out;
}

}  // namespace

bool write_svg(const std::string& path, const Context& ctx) {
  const auto& series = ctx.stats.series();
  const auto steps = drawn_steps(ctx.stats);
  double max_t = series.empty() ? 1 : series.back().t_s;
  double max_rate = 1, max_p99 = 0.1, max_gauge = 0;
  for (const SeriesPoint& pt : series) {
    for (int i : steps) {
      max_rate = std::max(max_rate, static_cast<double>(pt.count[static_cast<size_t>(i)]));
      max_p99 = std::max(max_p99, static_cast<double>(pt.p99_us[static_cast<size_t>(i)]) / 1000.0);
    }
    max_gauge = std::max(max_gauge, static_cast<double>(pt.gauge));
  }
  max_rate = std::max(max_rate, max_gauge);
  Panel rate{kTop, max_rate * 1.05, max_t};
  Panel p99{kTop + kPanel + kGap, max_p99 * 1.2, max_t, true};
  std::ostringstream s;
  double height = kTop + 2 * kPanel + kGap + 60;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << kWidth << "' height='" << height
    << "' font-family='sans-serif'>\n";
  s << "<rect width='100%' height='100%' fill='white'/>\n";
  axes(s, rate, "unipay-bench " + ctx.options.scenario + ": per second (dashed: in flight / backlog)");
  axes(s, p99, "p99 latency per second, ms (log scale)");
  double legend_x = kLeft;
  for (size_t k = 0; k < steps.size(); ++k) {
    const char* color = kColors[k % std::size(kColors)];
    auto i = static_cast<size_t>(steps[k]);
    line(
        s, rate, series, [i](const SeriesPoint& pt) { return static_cast<double>(pt.count[i]); }, color,
        false);
    line(
        s, p99, series, [i](const SeriesPoint& pt) { return static_cast<double>(pt.p99_us[i]) / 1000.0; },
        color, false);
    s << "<text x='" << legend_x << "' y='" << (height - 20) << "' font-size='12' fill='" << color << "'>"
      << step_name(static_cast<Step>(steps[k])) << "</text>\n";
    legend_x += 110;
  }
  if (max_gauge > 0) {
    line(
        s, rate, series,
        [](const SeriesPoint& pt) { return static_cast<double>(std::max<int64_t>(pt.gauge, 0)); }, "#000",
        true);
  }
  s << "</svg>\n";
  std::ofstream out(path);
  out << s.str();
  return static_cast<bool>(out);
}

}  // namespace unipay::bench
