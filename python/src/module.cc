// jointnlu._jointnlu: the Python binding of the public C++ API (include/jointnlu/jointnlu.h),
// linked against libjointnlu.so. The parse calls release the GIL, so Python threads parse in
// parallel; jointnlu::Error becomes the exception class of its code (jointnlu/__init__.py).
#include <jointnlu/jointnlu.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace py = pybind11;

namespace {

// The exception classes, created here so that the translator can raise them; jointnlu/__init__.py
// re-exports them. InvalidInputError is also a ValueError and IoError an OSError, so generic
// handlers catch them as Python code expects.
struct Exceptions {
  py::object base, invalid_input, invalid_model, io, internal;
};

Exceptions& exceptions() {
  static Exceptions* e = new Exceptions();  // leaked on purpose: outlives interpreter teardown
  return *e;
}

py::object make_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  const std::string qualified = std::string("jointnlu.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (!type) throw py::error_already_set();
  py::object cls = py::reinterpret_steal<py::object>(type);
  m.attr(name) = cls;
  return cls;
}

void register_exceptions(py::module_& m) {
  auto& e = exceptions();
  e.base = make_exception(m, "Error", py::make_tuple(py::handle(PyExc_RuntimeError)),
                          "Every failure of jointnlu.");
  e.invalid_input =
      make_exception(m, "InvalidInputError", py::make_tuple(e.base, py::handle(PyExc_ValueError)),
                     "A text that is not valid UTF-8, is empty, holds control characters or is "
                     "longer than max_chars; a bad lexicon category or entry.");
  e.invalid_model = make_exception(m, "InvalidModelError", py::make_tuple(e.base),
                                   "A model file or directory that is malformed or inconsistent.");
  e.io = make_exception(m, "IoError", py::make_tuple(e.base, py::handle(PyExc_OSError)),
                        "A file that cannot be read.");
  e.internal = make_exception(m, "InternalError", py::make_tuple(e.base),
                              "Anything else: a bug, please report it.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const jointnlu::Error& err) {
      auto& x = exceptions();
      const py::object* cls = &x.internal;
      switch (err.code()) {
        case jointnlu::Error::Code::kInvalidInput:
          cls = &x.invalid_input;
          break;
        case jointnlu::Error::Code::kInvalidModel:
          cls = &x.invalid_model;
          break;
        case jointnlu::Error::Code::kIo:
          cls = &x.io;
          break;
        case jointnlu::Error::Code::kInternal:
          break;
      }
      PyErr_SetString(cls->ptr(), err.what());
    }
  });
}

std::string repr_slot(const jointnlu::SlotResult& s) {
  return "Slot(key=" + py::repr(py::str(s.key)).cast<std::string>() +
         ", value=" + py::repr(py::str(s.value)).cast<std::string>() +
         ", start=" + std::to_string(s.start) + ", end=" + std::to_string(s.end) +
         ", confidence=" + py::repr(py::float_(s.confidence)).cast<std::string>() + ")";
}

std::string repr_parse(const jointnlu::ParseResult& r) {
  std::string slots;
  for (const auto& s : r.slots) slots += (slots.empty() ? "" : ", ") + repr_slot(s);
  return "Parse(text=" + py::repr(py::str(r.text)).cast<std::string>() +
         ", domain=" + py::repr(py::str(r.domain)).cast<std::string>() +
         ", intent=" + py::repr(py::str(r.intent)).cast<std::string>() +
         ", domain_confidence=" + py::repr(py::float_(r.domain_confidence)).cast<std::string>() +
         ", intent_confidence=" + py::repr(py::float_(r.intent_confidence)).cast<std::string>() +
         ", truncated=" + (r.truncated ? "True" : "False") + ", slots=[" + slots + "])";
}

bool same_slot(const jointnlu::SlotResult& a, const jointnlu::SlotResult& b) {
  return a.key == b.key && a.value == b.value && a.start == b.start && a.end == b.end &&
         a.confidence == b.confidence;
}

bool same_parse(const jointnlu::ParseResult& a, const jointnlu::ParseResult& b) {
  if (a.text != b.text || a.domain != b.domain || a.intent != b.intent ||
      a.domain_confidence != b.domain_confidence || a.intent_confidence != b.intent_confidence ||
      a.truncated != b.truncated || a.slots.size() != b.slots.size())
    return false;
  for (std::size_t i = 0; i < a.slots.size(); ++i)
    if (!same_slot(a.slots[i], b.slots[i])) return false;
  return true;
}

py::dict slot_dict(const jointnlu::ParseResult& r) {
  py::dict d;
  for (const auto& s : r.slots) d[py::str(s.key)] = py::str(s.value);
  return d;
}

// A Python str (or bytes, passed through unchecked so that the library reports bad UTF-8) to the
// UTF-8 std::string the API takes.
std::vector<std::string> texts_of(const py::iterable& texts) {
  std::vector<std::string> out;
  if (py::hasattr(texts, "__len__")) out.reserve(py::len(texts));
  for (const py::handle t : texts) {
    if (!py::isinstance<py::str>(t) && !py::isinstance<py::bytes>(t))
      throw py::type_error("parse_batch: every text must be str (or UTF-8 bytes), got " +
                           py::repr(py::type::of(t)).cast<std::string>());
    out.push_back(t.cast<std::string>());
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_jointnlu, m) {
  m.doc() = "Joint domain, intent and slot parsing with a distilled BiLSTM student (libjointnlu).";
  m.attr("__version__") = jointnlu::version();
  register_exceptions(m);

  py::class_<jointnlu::SlotResult>(m, "Slot", "One slot of a parse.")
      .def_readonly("key", &jointnlu::SlotResult::key, "Slot name, e.g. 'artist'.")
      .def_readonly("value", &jointnlu::SlotResult::value,
                    "The slot's text: exactly text[start:end].")
      .def_readonly("start", &jointnlu::SlotResult::start,
                    "First character (code point index into the text, as Python indexes str).")
      .def_readonly("end", &jointnlu::SlotResult::end, "One past the last character.")
      .def_readonly("confidence", &jointnlu::SlotResult::confidence,
                    "Lowest tag probability over the span, in [0, 1].")
      .def("__repr__", &repr_slot)
      .def("__eq__", &same_slot, py::is_operator())
      .def(
          "to_dict",
          [](const jointnlu::SlotResult& s) {
            return py::dict(py::arg("key") = s.key, py::arg("value") = s.value,
                            py::arg("start") = s.start, py::arg("end") = s.end,
                            py::arg("confidence") = s.confidence);
          },
          "The slot as a dict (the JSON object of the C and C++ APIs).");

  py::class_<jointnlu::ParseResult>(m, "Parse", "The parse of one utterance.")
      .def_readonly("text", &jointnlu::ParseResult::text, "The input text.")
      .def_readonly("domain", &jointnlu::ParseResult::domain, "E.g. 'music'.")
      .def_readonly("intent", &jointnlu::ParseResult::intent,
                    "E.g. 'PLAY'; (domain, intent) is always a pair seen in training.")
      .def_readonly("domain_confidence", &jointnlu::ParseResult::domain_confidence,
                    "Softmax probability of the domain, in [0, 1].")
      .def_readonly("intent_confidence", &jointnlu::ParseResult::intent_confidence,
                    "Softmax probability of the intent, in [0, 1].")
      .def_readonly("truncated", &jointnlu::ParseResult::truncated,
                    "True if the text had more tokens than the model reads: it was parsed from "
                    "its beginning and no slot lies in the part that was cut.")
      .def_readonly("slots", &jointnlu::ParseResult::slots,
                    "The slots (list of Slot), in text order, non-overlapping.")
      .def_property_readonly("slot_dict", &slot_dict,
                             "The slots as {key: value} (a later slot of a key wins).")
      .def(
          "to_json", [](const jointnlu::ParseResult& r) { return jointnlu::to_json(r); },
          "The parse as one line of JSON, byte for byte as the C and C++ APIs write it.")
      .def("__repr__", &repr_parse)
      .def("__eq__", &same_parse, py::is_operator());

  py::class_<jointnlu::ModelInfo>(m, "ModelInfo", "What a Parser loaded.")
      .def_readonly("path", &jointnlu::ModelInfo::path)
      .def_readonly("weights", &jointnlu::ModelInfo::weights, "'fp32' or 'int8'.")
      .def_readonly("pooling", &jointnlu::ModelInfo::pooling, "'max' or 'attention'.")
      .def_readonly("hidden_size", &jointnlu::ModelInfo::hidden_size)
      .def_readonly("num_layers", &jointnlu::ModelInfo::num_layers)
      .def_readonly("vocab_size", &jointnlu::ModelInfo::vocab_size)
      .def_readonly("max_length", &jointnlu::ModelInfo::max_length,
                    "Tokens per utterance, [CLS] and [SEP] included; longer texts are truncated.")
      .def_readonly("domains", &jointnlu::ModelInfo::domains)
      .def_readonly("intents", &jointnlu::ModelInfo::intents)
      .def_readonly("slot_keys", &jointnlu::ModelInfo::slot_keys)
      .def_readonly("lexicon_categories", &jointnlu::ModelInfo::lexicon_categories)
      .def_readonly("lexicon_entries", &jointnlu::ModelInfo::lexicon_entries)
      .def("to_json", [](const jointnlu::ModelInfo& i) { return jointnlu::to_json(i); })
      .def("__repr__",
           [](const jointnlu::ModelInfo& i) { return "ModelInfo(" + jointnlu::to_json(i) + ")"; });

  py::class_<jointnlu::Parser>(m, "Parser", R"(A loaded student model.

Parser(model, threads=1, max_chars=512, lexicons=())

model: a file written by `jointnlu export` (memory-mapped) or a student checkpoint directory.
threads: threads parse_batch spreads a batch over (1: the calling thread; 0: all cores).
max_chars: longest text accepted, in characters; longer ones raise InvalidInputError.
lexicons: lexicon files added to the model's categories of the same names: "NAME=FILE",
  "PREFIX=DIR" or "jieba[=FILE]".

A Parser may be shared by any number of threads; parse and parse_batch release the GIL.)")
      .def(py::init([](const std::string& model, int threads, std::size_t max_chars,
                       std::vector<std::string> lexicons) {
             if (threads < 0) throw py::value_error("threads must be >= 0");
             if (max_chars == 0) throw py::value_error("max_chars must be > 0");
             jointnlu::ParserOptions options;
             options.threads = threads;
             options.max_chars = max_chars;
             options.lexicons = std::move(lexicons);
             py::gil_scoped_release release;
             return jointnlu::Parser::open(model, options);
           }),
           py::arg("model"), py::kw_only(), py::arg("threads") = 1, py::arg("max_chars") = 512,
           py::arg("lexicons") = std::vector<std::string>{})
      .def(
          "parse",
          [](const jointnlu::Parser& p, const std::string& text) {
            py::gil_scoped_release release;
            return p.parse(text);
          },
          py::arg("text"), "Parses one utterance into a Parse. Raises InvalidInputError.")
      .def(
          "parse_batch",
          [](const jointnlu::Parser& p, const py::iterable& texts) {
            const std::vector<std::string> batch = texts_of(texts);
            std::vector<jointnlu::ParseResult> results;
            {
              py::gil_scoped_release release;
              results = p.parse_batch(batch);
            }
            return results;
          },
          py::arg("texts"),
          "Parses each text (an iterable of str) into a list of Parse, in order; faster per text "
          "than parse() in a loop. Every text is checked first: one invalid text raises "
          "InvalidInputError naming its index, and nothing is parsed.")
      .def(
          "add_lexicon_entries",
          [](const jointnlu::Parser& p, const std::string& category,
             const std::vector<std::string>& entries) {
            py::gil_scoped_release release;
            p.add_lexicon_entries(category, entries);
          },
          py::arg("category"), py::arg("entries"),
          "Adds entries to a lexicon category of the model, at run time (no retraining).")
      .def(
          "remove_lexicon_entries",
          [](const jointnlu::Parser& p, const std::string& category,
             const std::vector<std::string>& entries) {
            py::gil_scoped_release release;
            return p.remove_lexicon_entries(category, entries);
          },
          py::arg("category"), py::arg("entries"),
          "Removes entries from a lexicon category; returns how many were present.")
      .def_property_readonly("info", &jointnlu::Parser::info, "The ModelInfo of the model.")
      .def_property_readonly("threads",
                             [](const jointnlu::Parser& p) { return p.options().threads; })
      .def_property_readonly("max_chars",
                             [](const jointnlu::Parser& p) { return p.options().max_chars; });
}
