#include "cli/output/ui.h"

#include <algorithm>
#include <ostream>
#include <sstream>

namespace foundry::cli {

void Ui::say(const std::string& line) { out_ << line << "\n" << std::flush; }
void Ui::sayRaw(const std::string& text) { out_ << text << std::flush; }
void Ui::newline() { out_ << "\n" << std::flush; }
void Ui::ok() { say("OK"); }

int Ui::failed(const std::string& error) {
  out_ << "FAILED\n" << std::flush;
  err_ << error << "\n" << std::flush;
  return 1;
}

void Ui::warn(const std::string& line) { err_ << line << "\n" << std::flush; }

void Ui::keyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size() + 1);
  for (const auto& [key, value] : rows) {
    std::string label = key + ":";
    label.resize(width + 3, ' ');
    std::string line = label + value;
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out_ << line << "\n";
  }
  out_ << std::flush;
}

void Ui::table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  out_ << formatTable(rows, indent) << std::flush;
}

std::string formatTable(const std::vector<std::vector<std::string>>& rows,
                        const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::ostringstream text;
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string cell = row[i];
      if (i + 1 < row.size()) cell.resize(widths[i] + 3, ' ');
      line += cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text << line << "\n";
  }
  return text.str();
}

}  // namespace foundry::cli
