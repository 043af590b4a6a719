// Parses utterances with the jointnlu C++ API, all in one batch: one JSON object per line on
// stdout.
//
//   parse_cpp MODEL TEXT...      (MODEL: an exported .safetensors file or a student directory)
//   parse_cpp MODEL < texts.txt  (one text per line)
//
// Exit status: 0 if every text parsed, 1 otherwise (the error on stderr), 2 for bad usage.
#include <jointnlu/jointnlu.h>

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " MODEL [TEXT...]   (no TEXT: one per line on stdin)\n";
    return 2;
  }
  std::vector<std::string> texts(argv + 2, argv + argc);
  if (texts.empty())
    for (std::string line; std::getline(std::cin, line);) texts.push_back(line);
  try {
    const auto parser = jointnlu::Parser::open(argv[1]);
    for (const jointnlu::ParseResult& r : parser.parse_batch(texts))
      std::cout << jointnlu::to_json(r) << '\n';
  } catch (const jointnlu::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
