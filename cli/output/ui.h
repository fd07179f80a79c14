#pragma once
// What the CLI prints, in cf's shapes: progress lines, "OK", "FAILED" (stdout) with the error
// text (stderr), aligned key/value blocks and column tables.
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace foundry::cli {

class Ui {
 public:
  Ui(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  void say(const std::string& line);
  void sayRaw(const std::string& text);  // no newline added; flushed
  void newline();
  void ok();
  // Prints "FAILED" to stdout and `error` to stderr; returns exit code 1.
  int failed(const std::string& error);
  void warn(const std::string& line);  // stderr
  // "key:   value" lines, the values aligned.
  void keyValues(const std::vector<std::pair<std::string, std::string>>& rows);
  // Columns separated by 3 spaces, padded to the widest cell; the first row is the header.
  void table(const std::vector<std::vector<std::string>>& rows, const std::string& indent = "");

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

 private:
  std::ostream& out_;
  std::ostream& err_;
};

// The table as text (exposed for tests).
std::string formatTable(const std::vector<std::vector<std::string>>& rows,
                        const std::string& indent = "");

}  // namespace foundry::cli
