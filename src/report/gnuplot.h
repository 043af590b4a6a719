// Running gnuplot as a subprocess: the plots of `jointnlu report` are gnuplot scripts, so the
// binary links no plotting library and a missing gnuplot costs only the images.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace jointnlu::report {

// gnuplot is not installed (not on PATH).
class GnuplotMissing : public std::runtime_error {
 public:
  GnuplotMissing()
      : std::runtime_error(
            "gnuplot not found on PATH: install it (Debian: apt-get install gnuplot-nox) for the "
            "plots") {}
};

// gnuplot ran and failed; what() holds its exit status and the end of its output.
class GnuplotFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The lines that start every script: a 'pngcairo' PNG terminal when this gnuplot has one
// (antialiased text), else the libgd 'png' one, at the given size in pixels. Text is not
// "enhanced": a slot key like song_name must not turn into a subscript.
std::string png_terminal(int width, int height, int font_size = 11);

// Writes `inputs` (file name -> content) into a fresh temporary directory, runs `gnuplot` on
// `script` there (file names in the script are relative to that directory) and returns the contents
// of the `outputs` it must have written. Throws GnuplotMissing, GnuplotFailed.
std::map<std::string, std::string> run_gnuplot(const std::string& script,
                                               const std::map<std::string, std::string>& inputs,
                                               const std::vector<std::string>& outputs);

}  // namespace jointnlu::report
