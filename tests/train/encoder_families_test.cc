// BERT and ELECTRA checkpoints read as the ALBERT encoder that computes the same function
// (train/encoder_families.h). The checkpoints are written here from a random ALBERT encoder whose
// names are spelled the Hugging Face BERT / ELECTRA way by a table of this test's own, so a wrong
// entry in the library's table shows as a missing tensor or a different output.
#include "train/encoder_families.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <regex>
#include <string>

#include "core/file_io.h"
#include "data/dataset.h"
#include "test_util.h"
#include "toy_data.h"
#include "train/checkpoint.h"
#include "train/joint_albert.h"
#include "train/recipes/teacher_recipe.h"

namespace jointnlu::train {
namespace {

using jointnlu::testing::align_all;
using jointnlu::testing::TempDir;
using jointnlu::testing::toy_records;
using jointnlu::testing::toy_tokenizer;

// An ALBERT with one group per layer and one layer per group: the shape BERT and ELECTRA have.
AlbertConfig unshared_config(int64_t vocab, int64_t embedding, int64_t hidden) {
  AlbertConfig c;
  c.vocab_size = vocab;
  c.embedding_size = embedding;
  c.hidden_size = hidden;
  c.num_hidden_layers = 2;
  c.num_hidden_groups = 2;
  c.num_attention_heads = 4;
  c.intermediate_size = 48;
  c.max_position_embeddings = 32;
  c.hidden_act = "gelu";  // BERT's and ELECTRA's
  c.layer_norm_eps = 1e-12;
  return c;
}

// HF's BERT/ELECTRA name of an AlbertModel tensor (state_dict of the bare AlbertModel).
std::string hf_name(const std::string& albert, const std::string& prefix, bool tf_layer_norm) {
  static const std::regex layer(R"(encoder\.albert_layer_groups\.(\d+)\.albert_layers\.0\.(.*))");
  static const std::map<std::string, std::string> parts{
      {"attention.query.", "attention.self.query."},
      {"attention.key.", "attention.self.key."},
      {"attention.value.", "attention.self.value."},
      {"attention.dense.", "attention.output.dense."},
      {"attention.LayerNorm.", "attention.output.LayerNorm."},
      {"ffn.", "intermediate.dense."},
      {"ffn_output.", "output.dense."},
      {"full_layer_layer_norm.", "output.LayerNorm."}};
  std::string name = albert;
  std::smatch m;
  if (std::regex_match(albert, m, layer)) {
    const std::string rest = m[2];
    for (const auto& [a, h] : parts)
      if (rest.rfind(a, 0) == 0)
        name = "encoder.layer." + std::string(m[1]) + "." + h + rest.substr(a.size());
  } else if (albert.rfind("encoder.embedding_hidden_mapping_in.", 0) == 0) {
    name = "embeddings_project." +
           albert.substr(std::string("encoder.embedding_hidden_mapping_in.").size());
  } else if (albert.rfind("pooler.", 0) == 0) {
    name = "pooler.dense." + albert.substr(std::string("pooler.").size());
  }
  if (tf_layer_norm && name.find("LayerNorm.") != std::string::npos) {
    name = std::regex_replace(name, std::regex(R"(LayerNorm\.weight$)"), "LayerNorm.gamma");
    name = std::regex_replace(name, std::regex(R"(LayerNorm\.bias$)"), "LayerNorm.beta");
  }
  return prefix + name;
}

// Writes `reference` as a `model_type` checkpoint directory with HF's names.
void write_hf_encoder(const std::string& dir, const AlbertModel& reference,
                      const std::string& model_type, const std::string& prefix, bool tf_layer_norm,
                      const Tokenizer& tokenizer) {
  const AlbertConfig& c = reference->config();
  nlohmann::json config{{"model_type", model_type},
                        {"vocab_size", c.vocab_size},
                        {"hidden_size", c.hidden_size},
                        {"num_hidden_layers", c.num_hidden_layers},
                        {"num_attention_heads", c.num_attention_heads},
                        {"intermediate_size", c.intermediate_size},
                        {"hidden_act", c.hidden_act},
                        {"max_position_embeddings", c.max_position_embeddings},
                        {"type_vocab_size", c.type_vocab_size},
                        {"layer_norm_eps", c.layer_norm_eps},
                        {"hidden_dropout_prob", 0.1},
                        {"attention_probs_dropout_prob", 0.1}};
  if (model_type == "electra") config["embedding_size"] = c.embedding_size;
  CheckpointContents contents;
  contents.files["config.json"] = config.dump();
  contents.files["vocab.txt"] = tokenizer.vocab_text();
  for (const auto& [name, tensor] : state_dict(*reference)) {
    if (model_type == "bert" && name.rfind("encoder.embedding_hidden_mapping_in.", 0) == 0)
      continue;  // BERT has no projection
    if (model_type == "electra" && name.rfind("pooler.", 0) == 0) continue;  // nor ELECTRA a pooler
    contents.tensors[hf_name(name, prefix, tf_layer_norm)] = tensor.clone();
  }
  // Heads a real checkpoint carries, which have no place in the encoder.
  contents.tensors[model_type == "bert" ? "cls.predictions.bias"
                                        : "discriminator_predictions.dense.bias"] =
      torch::zeros({c.hidden_size});
  contents.tensors[prefix + "embeddings.position_ids"] =
      torch::arange(c.max_position_embeddings).unsqueeze(0);
  write_checkpoint_dir(dir, contents);
}

AlbertModel random_encoder(const AlbertConfig& config, int64_t seed) {
  torch::manual_seed(static_cast<uint64_t>(seed));
  AlbertModel m(config);
  // Non-trivial LayerNorm parameters and biases, so a swapped weight/bias shows.
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters()) p.add_(torch::randn_like(p) * 0.05);
  // BERT's embeddings feed the first layer as they are: its ALBERT shape has an identity mapping.
  if (config.embedding_size == config.hidden_size) {
    m->encoder->embedding_hidden_mapping_in->weight.copy_(torch::eye(config.hidden_size));
    m->encoder->embedding_hidden_mapping_in->bias.zero_();
  }
  m->eval();
  return m;
}

torch::Tensor sample_ids(int64_t vocab) {
  torch::manual_seed(11);
  return torch::randint(5, vocab, {3, 9}, torch::kLong);
}

// Loads `dir` into a fresh AlbertModel through read_pretrained, as the teacher's init does.
AlbertModel load_converted(const std::string& dir) {
  const PretrainedEncoder encoder = read_pretrained(dir);
  torch::manual_seed(99);
  AlbertModel model(encoder.config);
  LoadOptions options;
  if (!encoder.has_pooler) options.allow_missing_prefixes = {"pooler."};
  load_state_dict(*model, encoder.tensors, options);
  model->eval();
  return model;
}

TEST(EncoderFamilies, BertCheckpointComputesTheSameEncoder) {
  const Tokenizer tokenizer = toy_tokenizer(toy_records());
  const auto vocab = static_cast<int64_t>(tokenizer.vocab_size());
  for (const bool tf_names : {false, true}) {
    for (const std::string prefix : {"bert.", ""}) {
      SCOPED_TRACE("prefix '" + prefix + "', gamma/beta " + std::to_string(tf_names));
      TempDir dir;
      AlbertModel reference = random_encoder(unshared_config(vocab, 32, 32), 5);
      write_hf_encoder(dir.path(), reference, "bert", prefix, tf_names, tokenizer);
      const PretrainedEncoder encoder = read_pretrained(dir.path());
      EXPECT_EQ(encoder.family, EncoderFamily::kBert);
      EXPECT_EQ(encoder.config.num_hidden_groups, 2);
      EXPECT_EQ(encoder.config.embedding_size, 32);
      EXPECT_TRUE(encoder.has_pooler);
      EXPECT_EQ(encoder.skipped.size(), 2u);  // cls.predictions.bias, embeddings.position_ids

      AlbertModel loaded = load_converted(dir.path());
      const torch::Tensor ids = sample_ids(vocab);
      const torch::Tensor mask = torch::ones_like(ids);
      torch::NoGradGuard no_grad;
      const AlbertOutput want = reference->forward(ids, mask);
      const AlbertOutput got = loaded->forward(ids, mask);
      EXPECT_TRUE(torch::equal(want.sequence_output, got.sequence_output));
      EXPECT_TRUE(torch::equal(want.pooled_output, got.pooled_output));
    }
  }
}

TEST(EncoderFamilies, ElectraCheckpointWithAnEmbeddingProjection) {
  const Tokenizer tokenizer = toy_tokenizer(toy_records());
  const auto vocab = static_cast<int64_t>(tokenizer.vocab_size());
  TempDir dir;
  AlbertModel reference = random_encoder(unshared_config(vocab, 16, 32), 6);
  write_hf_encoder(dir.path(), reference, "electra", "electra.", false, tokenizer);
  const PretrainedEncoder encoder = read_pretrained(dir.path());
  EXPECT_EQ(encoder.family, EncoderFamily::kElectra);
  EXPECT_EQ(encoder.config.embedding_size, 16);
  EXPECT_FALSE(encoder.has_pooler);
  AlbertModel loaded = load_converted(dir.path());
  const torch::Tensor ids = sample_ids(vocab);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(
      torch::equal(reference->forward(ids).sequence_output, loaded->forward(ids).sequence_output));
}

TEST(EncoderFamilies, TheTeacherStartsFromABertOrElectraCheckpoint) {
  const auto records = toy_records();
  const auto examples = align_all(records);
  const LabelSpace labels = LabelSpace::from_examples(examples);
  const Tokenizer tokenizer = toy_tokenizer(records);
  const auto vocab = static_cast<int64_t>(tokenizer.vocab_size());
  for (const std::string type : {"bert", "electra"}) {
    SCOPED_TRACE(type);
    TempDir dir;
    AlbertModel reference = random_encoder(unshared_config(vocab, type == "bert" ? 32 : 16, 32), 7);
    write_hf_encoder(dir.path(), reference, type, type + ".", false, tokenizer);
    const PretrainedEncoder encoder = read_pretrained(dir.path());
    JointAlbert teacher(encoder.config, labels);
    const LoadReport report = load_pretrained(teacher, encoder);
    // The heads are new; so is the pooler without one in the checkpoint (ELECTRA).
    EXPECT_EQ(report.missing.size(), type == "bert" ? 6u : 8u);
    EXPECT_EQ(report.unexpected.size(), 2u);  // the head tensor and position_ids, reported
  }
}

TEST(EncoderFamilies, TrainTeacherInitFromABertOrElectraDirectoryTrains) {
  const std::string demo = std::string(JOINTNLU_SOURCE_DIR) + "/data/demo/";
  std::vector<Record> records = read_records(demo + "train.json");
  for (const char* split : {"dev.json", "test.json"})
    for (auto& r : read_records(demo + split)) records.push_back(std::move(r));
  const Tokenizer tokenizer = toy_tokenizer(records);
  const auto vocab = static_cast<int64_t>(tokenizer.vocab_size());
  for (const std::string type : {"bert", "electra"}) {
    SCOPED_TRACE(type);
    TempDir tmp;
    const std::string init = tmp.file(type);
    const int64_t embedding = type == "bert" ? 32 : 16;
    AlbertModel reference = random_encoder(unshared_config(vocab, embedding, 32), 9);
    write_hf_encoder(init, reference, type, type + ".", type == "bert", tokenizer);

    TeacherRecipe t;
    t.train = demo + "train.json";
    t.dev = demo + "dev.json";
    t.out = tmp.file("teacher");
    t.init = init;
    t.epochs = 1;
    t.max_length = 32;
    t.threads = 1;
    const TrainingOutcome outcome = train_teacher(t);
    EXPECT_EQ(outcome.epochs_completed, 1);
    // The fine-tuned teacher is saved (and loads back) as an ALBERT of the encoder's shape.
    const LoadedTeacher teacher = load_teacher(t.out);
    EXPECT_EQ(teacher.spec.albert.num_hidden_groups, 2);
    EXPECT_EQ(teacher.spec.albert.embedding_size, embedding);
    EXPECT_EQ(teacher.spec.albert.hidden_act, "gelu");
  }
}

TEST(EncoderFamilies, AWronglyShapedTensorIsNamedWithBothShapes) {
  const Tokenizer tokenizer = toy_tokenizer(toy_records());
  const auto vocab = static_cast<int64_t>(tokenizer.vocab_size());
  TempDir dir;
  AlbertModel reference = random_encoder(unshared_config(vocab, 32, 32), 8);
  write_hf_encoder(dir.path(), reference, "bert", "bert.", false, tokenizer);
  // Replace one layer's FFN weight [48,32] with a [40,32] one.
  CheckpointContents contents;
  contents.tensors = read_safetensors(dir.path() + "/model.safetensors");
  contents.tensors["bert.encoder.layer.1.intermediate.dense.weight"] = torch::zeros({40, 32});
  contents.files["config.json"] = read_file(dir.path() + "/config.json");
  contents.files["vocab.txt"] = tokenizer.vocab_text();
  write_checkpoint_dir(dir.path(), contents);
  const PretrainedEncoder encoder = read_pretrained(dir.path());
  JointAlbert teacher(encoder.config, LabelSpace::from_examples(align_all(toy_records())));
  try {
    load_pretrained(teacher, encoder);
    FAIL() << "expected a CheckpointError";
  } catch (const CheckpointError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("bert.encoder.layer.1.intermediate.dense.weight"), std::string::npos) << m;
    EXPECT_NE(m.find("[48,32]"), std::string::npos) << m;
    EXPECT_NE(m.find("[40,32]"), std::string::npos) << m;
  }
}

// The Python interpreter with Debian's python3-torch (scripts/setup.sh installs it); a pyenv or
// venv python3 first on PATH usually lacks it.
std::string python_with_torch() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    const std::string probe = std::string(python) + " -c 'import torch' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return "";
}

double max_abs_difference(const torch::Tensor& ours, const nlohmann::json& reference) {
  const std::vector<float> flat = [&] {
    std::vector<float> v;
    std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& j) {
      if (j.is_array()) {
        for (const auto& x : j) walk(x);
      } else {
        v.push_back(j.get<float>());
      }
    };
    walk(reference);
    return v;
  }();
  const torch::Tensor want = torch::tensor(flat).reshape(ours.sizes());
  return (ours - want).abs().max().item<double>();
}

// tests/reference/hf_encoder_reference.py computes BERT and ELECTRA from their own definitions;
// jointnlu's encoder loaded from the same directory must agree to 1e-5.
TEST(EncoderFamilies, MatchesAnIndependentPythonReference) {
  const std::string python = python_with_torch();
  ASSERT_FALSE(python.empty()) << "no python3 with torch: scripts/setup.sh installs python3-torch";
  const std::string script =
      std::string(JOINTNLU_SOURCE_DIR) + "/tests/reference/hf_encoder_reference.py";
  const Tokenizer tokenizer = toy_tokenizer(toy_records());
  const auto vocab = static_cast<int64_t>(tokenizer.vocab_size());
  for (const std::string type : {"bert", "electra"}) {
    SCOPED_TRACE(type);
    TempDir tmp;
    const std::string dir = tmp.file("model");
    AlbertModel reference =
        random_encoder(unshared_config(vocab, type == "bert" ? 32 : 16, 32), 12);
    write_hf_encoder(dir, reference, type, type + ".", type == "bert", tokenizer);
    const torch::Tensor ids = sample_ids(vocab);
    torch::Tensor mask = torch::ones_like(ids);
    mask.index_put_({1, torch::indexing::Slice(6)}, 0);  // the second row has 3 padding positions
    const nlohmann::json input{
        {"input_ids", std::vector<std::vector<int64_t>>(
                          {{ids[0].data_ptr<int64_t>(), ids[0].data_ptr<int64_t>() + 9},
                           {ids[1].data_ptr<int64_t>(), ids[1].data_ptr<int64_t>() + 9},
                           {ids[2].data_ptr<int64_t>(), ids[2].data_ptr<int64_t>() + 9}})},
        {"attention_mask", std::vector<std::vector<int64_t>>(
                               {{mask[0].data_ptr<int64_t>(), mask[0].data_ptr<int64_t>() + 9},
                                {mask[1].data_ptr<int64_t>(), mask[1].data_ptr<int64_t>() + 9},
                                {mask[2].data_ptr<int64_t>(), mask[2].data_ptr<int64_t>() + 9}})}};
    write_file_atomic(tmp.file("input.json"), input.dump());
    const std::string command = python + " " + script + " " + dir + " " + tmp.file("input.json") +
                                " " + tmp.file("output.json");
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    const auto output = nlohmann::json::parse(read_file(tmp.file("output.json")));

    AlbertModel loaded = load_converted(dir);
    torch::NoGradGuard no_grad;
    const AlbertOutput ours = loaded->forward(ids, mask);
    EXPECT_LE(max_abs_difference(ours.sequence_output, output["sequence_output"]), 1e-5);
    if (type == "bert") {
      EXPECT_LE(max_abs_difference(ours.pooled_output, output["pooled_output"]), 1e-5);
    } else {
      EXPECT_TRUE(output["pooled_output"].is_null());
    }
  }
}

// The README's conversion of a pytorch_model.bin (scripts/hf_bin_to_safetensors.py): a checkpoint
// saved by torch.save converts into a model.safetensors that reads back tensor for tensor.
TEST(EncoderFamilies, PytorchBinConvertsToSafetensors) {
  const std::string python = python_with_torch();
  ASSERT_FALSE(python.empty()) << "no python3 with torch: scripts/setup.sh installs python3-torch";
  const std::string source_dir = JOINTNLU_SOURCE_DIR;
  const Tokenizer tokenizer = toy_tokenizer(toy_records());
  TempDir tmp;
  const std::string dir = tmp.file("bert");
  AlbertModel reference =
      random_encoder(unshared_config(static_cast<int64_t>(tokenizer.vocab_size()), 32, 32), 13);
  write_hf_encoder(dir, reference, "bert", "bert.", false, tokenizer);
  const std::string to_bin =
      python + " -c \"import sys, torch; sys.path.insert(0, '" + source_dir +
      "/tests/reference'); from hf_encoder_reference import read_safetensors; "
      "torch.save(read_safetensors(sys.argv[1]), sys.argv[2])\" " +
      dir + "/model.safetensors " + dir + "/pytorch_model.bin";
  ASSERT_EQ(std::system(to_bin.c_str()), 0) << to_bin;
  const std::string convert = python + " " + source_dir + "/scripts/hf_bin_to_safetensors.py " +
                              dir + "/pytorch_model.bin " + tmp.file("converted.safetensors");
  ASSERT_EQ(std::system(convert.c_str()), 0) << convert;
  const StateDict want = read_safetensors(dir + "/model.safetensors");
  const StateDict got = read_safetensors(tmp.file("converted.safetensors"));
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, tensor] : want) {
    ASSERT_TRUE(got.contains(name)) << name;
    EXPECT_TRUE(torch::equal(got.at(name), tensor)) << name;
  }
}

TEST(EncoderFamilies, ConfigDefaultsAreHuggingFacesForTheFamily) {
  const nlohmann::json bert{{"model_type", "bert"},     {"vocab_size", 100},
                            {"hidden_size", 64},        {"num_hidden_layers", 3},
                            {"num_attention_heads", 4}, {"intermediate_size", 128}};
  const AlbertConfig c = albert_config_of(bert, encoder_family(bert));
  EXPECT_EQ(c.hidden_act, "gelu");  // BertConfig's default, not ALBERT's gelu_new
  EXPECT_EQ(c.embedding_size, 64);
  EXPECT_EQ(c.num_hidden_groups, 3);
  EXPECT_EQ(c.inner_group_num, 1);
  EXPECT_DOUBLE_EQ(c.hidden_dropout_prob, 0.1);
  nlohmann::json electra = bert;
  electra["model_type"] = "electra";
  electra["embedding_size"] = 32;
  EXPECT_EQ(albert_config_of(electra, encoder_family(electra)).embedding_size, 32);
}

TEST(EncoderFamilies, AnUnknownModelTypeIsNamed) {
  try {
    encoder_family(nlohmann::json{{"model_type", "roberta"}});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'roberta'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'electra'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(encoder_family(nlohmann::json::object()), EncoderFamily::kAlbert);
}

}  // namespace
}  // namespace jointnlu::train
