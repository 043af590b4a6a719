// ALBERT encoder, heads, config and state I/O. The numerical test compares the libtorch modules
// with a plain-loop reimplementation of Hugging Face's AlbertModel that shares no code with them.
#include "train/albert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "test_util.h"
#include "train/albert_config.h"

namespace jointnlu::train {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// V=50, E=8, H=12, 3 heads, FF=20, 4 layers in 2 groups of 2 inner layers: every sharing path used.
AlbertConfig toy_config(const std::string& act = "gelu_new") {
  AlbertConfig c;
  c.vocab_size = 50;
  c.embedding_size = 8;
  c.hidden_size = 12;
  c.num_attention_heads = 3;
  c.intermediate_size = 20;
  c.num_hidden_layers = 4;
  c.num_hidden_groups = 2;
  c.inner_group_num = 2;
  c.max_position_embeddings = 16;
  c.type_vocab_size = 2;
  c.hidden_act = act;
  c.hidden_dropout_prob = 0.1;  // eval mode must switch these off
  c.attention_probs_dropout_prob = 0.1;
  c.layer_norm_eps = 1e-12;
  return c;
}

// Non-trivial weights everywhere (LayerNorm gains, biases and the MLM bias included), so that a
// swapped or ignored tensor changes the output.
void randomise(torch::nn::Module& module, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& p : module.named_parameters()) {
    auto t = p.value();
    const auto& name = p.key();
    if (ends_with(name, "LayerNorm.weight") || ends_with(name, "layer_norm.weight")) {
      t.copy_(1.0 + 0.3 * torch::randn_like(t));
    } else if (ends_with(name, "bias")) {
      t.copy_(0.3 * torch::randn_like(t));
    } else {
      t.copy_(0.4 * torch::randn_like(t));
    }
  }
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// ---- the independent reference: std::vector and loops only ----

using Vec = std::vector<double>;
using Mat = std::vector<Vec>;  // rows

class Reference {
 public:
  Reference(const StateDict& sd, AlbertConfig c) : config_(std::move(c)) {
    for (const auto& [name, t] : sd) {
      const auto flat = t.to(torch::kFloat).contiguous();
      const float* data = flat.data_ptr<float>();
      weights_[name] = Vec(data, data + flat.numel());
    }
  }

  const Vec& w(const std::string& name) const {
    const auto it = weights_.find(name);
    if (it == weights_.end()) throw std::runtime_error("reference: no tensor " + name);
    return it->second;
  }

  // y = x W^T + b, W stored [out, in] row-major as in torch.
  Mat linear(const Mat& x, const std::string& prefix) const {
    const Vec& weight = w(prefix + ".weight");
    const Vec& bias = w(prefix + ".bias");
    const std::size_t out = bias.size();
    const std::size_t in = weight.size() / out;
    Mat y(x.size(), Vec(out));
    for (std::size_t r = 0; r < x.size(); ++r) {
      for (std::size_t o = 0; o < out; ++o) {
        double s = bias[o];
        for (std::size_t i = 0; i < in; ++i) s += x[r][i] * weight[o * in + i];
        y[r][o] = s;
      }
    }
    return y;
  }

  Mat layer_norm(const Mat& x, const std::string& prefix) const {
    const Vec& gain = w(prefix + ".weight");
    const Vec& shift = w(prefix + ".bias");
    Mat y = x;
    for (auto& row : y) {
      double mean = 0.0;
      for (double v : row) mean += v;
      mean /= static_cast<double>(row.size());
      double var = 0.0;
      for (double v : row) var += (v - mean) * (v - mean);
      var /= static_cast<double>(row.size());  // biased, as LayerNorm
      const double inv = 1.0 / std::sqrt(var + config_.layer_norm_eps);
      for (std::size_t i = 0; i < row.size(); ++i)
        row[i] = (row[i] - mean) * inv * gain[i] + shift[i];
    }
    return y;
  }

  double act(double x) const {
    if (config_.hidden_act == "gelu_new") {
      const double pi = std::acos(-1.0);
      return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * x * x * x)));
    }
    if (config_.hidden_act == "gelu") return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    if (config_.hidden_act == "relu") return x > 0.0 ? x : 0.0;
    throw std::runtime_error("reference: activation " + config_.hidden_act);
  }

  Mat activate(Mat x) const {
    for (auto& row : x) {
      for (auto& v : row) v = act(v);
    }
    return x;
  }

  static Mat add(const Mat& a, const Mat& b) {
    Mat y = a;
    for (std::size_t r = 0; r < a.size(); ++r) {
      for (std::size_t i = 0; i < a[r].size(); ++i) y[r][i] += b[r][i];
    }
    return y;
  }

  // One sequence: ids/types/mask of length L. Returns hidden states [L][H].
  Mat encode(const std::vector<int64_t>& ids, const std::vector<int64_t>& types,
             const std::vector<int64_t>& mask) const {
    const auto e = static_cast<std::size_t>(config_.embedding_size);
    const std::size_t length = ids.size();
    const Vec& word = w("albert.embeddings.word_embeddings.weight");
    const Vec& pos = w("albert.embeddings.position_embeddings.weight");
    const Vec& type = w("albert.embeddings.token_type_embeddings.weight");
    Mat x(length, Vec(e));
    for (std::size_t t = 0; t < length; ++t) {
      for (std::size_t i = 0; i < e; ++i) {
        x[t][i] = word[static_cast<std::size_t>(ids[t]) * e + i] +
                  type[static_cast<std::size_t>(types[t]) * e + i] + pos[t * e + i];
      }
    }
    x = layer_norm(x, "albert.embeddings.LayerNorm");
    Mat h = linear(x, "albert.encoder.embedding_hidden_mapping_in");
    const int64_t per_group = config_.num_hidden_layers / config_.num_hidden_groups;
    for (int64_t layer = 0; layer < config_.num_hidden_layers; ++layer) {
      const int64_t group = layer / per_group;
      for (int64_t inner = 0; inner < config_.inner_group_num; ++inner) {
        h = albert_layer(h, mask,
                         "albert.encoder.albert_layer_groups." + std::to_string(group) +
                             ".albert_layers." + std::to_string(inner) + ".");
      }
    }
    return h;
  }

  Mat albert_layer(const Mat& h, const std::vector<int64_t>& mask, const std::string& p) const {
    const std::size_t length = h.size();
    const auto heads = static_cast<std::size_t>(config_.num_attention_heads);
    const std::size_t d = static_cast<std::size_t>(config_.hidden_size) / heads;
    const Mat q = linear(h, p + "attention.query");
    const Mat k = linear(h, p + "attention.key");
    const Mat v = linear(h, p + "attention.value");
    Mat context(length, Vec(heads * d, 0.0));
    for (std::size_t head = 0; head < heads; ++head) {
      for (std::size_t t = 0; t < length; ++t) {
        // Padded keys get no weight at all: the limit of HF's large negative additive mask.
        Vec score(length, 0.0);
        double top = -1e300;
        for (std::size_t s = 0; s < length; ++s) {
          if (mask[s] == 0) continue;
          double dot = 0.0;
          for (std::size_t i = 0; i < d; ++i) dot += q[t][head * d + i] * k[s][head * d + i];
          score[s] = dot / std::sqrt(static_cast<double>(d));
          top = std::max(top, score[s]);
        }
        double total = 0.0;
        for (std::size_t s = 0; s < length; ++s) {
          score[s] = mask[s] == 0 ? 0.0 : std::exp(score[s] - top);
          total += score[s];
        }
        for (std::size_t s = 0; s < length; ++s) {
          for (std::size_t i = 0; i < d; ++i) {
            context[t][head * d + i] += score[s] / total * v[s][head * d + i];
          }
        }
      }
    }
    const Mat attended =
        layer_norm(add(h, linear(context, p + "attention.dense")), p + "attention.LayerNorm");
    const Mat ffn = linear(activate(linear(attended, p + "ffn")), p + "ffn_output");
    return layer_norm(add(ffn, attended), p + "full_layer_layer_norm");
  }

  Vec pool(const Mat& h) const {
    Mat first = {h[0]};
    Vec y = linear(first, "albert.pooler")[0];
    for (auto& v : y) v = std::tanh(v);
    return y;
  }

  // MLM logits of one position: decoder tied to the word embeddings, plus predictions.bias.
  Vec mlm(const Vec& hidden) const {
    Mat x = {hidden};
    x = layer_norm(activate(linear(x, "predictions.dense")), "predictions.LayerNorm");
    const Vec& word = w("albert.embeddings.word_embeddings.weight");
    const Vec& bias = w("predictions.bias");
    const std::size_t e = x[0].size();
    Vec logits(bias.size());
    for (std::size_t token = 0; token < bias.size(); ++token) {
      double s = bias[token];
      for (std::size_t i = 0; i < e; ++i) s += x[0][i] * word[token * e + i];
      logits[token] = s;
    }
    return logits;
  }

  Vec sop(const Vec& pooled) const { return linear(Mat{pooled}, "sop_classifier.classifier")[0]; }

 private:
  AlbertConfig config_;
  std::map<std::string, Vec> weights_;
};

// A batch of 2 with padding in the second row and both segment types.
struct ToyBatch {
  std::vector<std::vector<int64_t>> ids = {{2, 15, 7, 33, 41, 9, 18}, {3, 22, 11, 5, 0, 0, 0}};
  std::vector<std::vector<int64_t>> types = {{0, 0, 0, 1, 1, 1, 1}, {0, 0, 1, 1, 0, 0, 0}};
  std::vector<std::vector<int64_t>> mask = {{1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0}};

  static torch::Tensor tensor(const std::vector<std::vector<int64_t>>& rows) {
    std::vector<int64_t> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    return torch::tensor(flat, torch::kLong)
        .view({static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())});
  }
  torch::Tensor input_ids() const { return tensor(ids); }
  torch::Tensor token_types() const { return tensor(types); }
  torch::Tensor attention_mask() const { return tensor(mask); }
};

TEST(AlbertConfigTest, PresetsAreValidAndAsDocumented) {
  const auto tiny = AlbertConfig::tiny(21128);
  EXPECT_EQ(tiny.vocab_size, 21128);
  EXPECT_EQ(tiny.embedding_size, 128);
  EXPECT_EQ(tiny.hidden_size, 312);
  EXPECT_EQ(tiny.num_hidden_layers, 4);
  EXPECT_EQ(tiny.num_attention_heads, 12);
  EXPECT_EQ(tiny.intermediate_size, 1248);
  EXPECT_EQ(tiny.num_hidden_groups, 1);
  EXPECT_EQ(tiny.inner_group_num, 1);
  EXPECT_EQ(tiny.hidden_act, "gelu_new");
  const auto small = AlbertConfig::small(100);
  EXPECT_EQ(small.hidden_size, 384);
  EXPECT_EQ(small.num_hidden_layers, 6);
  EXPECT_EQ(small.intermediate_size, 1536);
  const auto base = AlbertConfig::base(100);
  EXPECT_EQ(base.embedding_size, 128);
  EXPECT_EQ(base.hidden_size, 768);
  EXPECT_EQ(base.num_hidden_layers, 12);
  EXPECT_EQ(base.num_attention_heads, 12);
  EXPECT_EQ(base.intermediate_size, 3072);
}

TEST(AlbertConfigTest, ShapeFromAConfigFileTakesTheTokenizersVocabulary) {
  jointnlu::testing::TempDir dir;
  const auto path = dir.write("shape.json", R"({"vocab_size": 7, "embedding_size": 64,
      "hidden_size": 96, "num_hidden_layers": 2, "num_hidden_groups": 2,
      "num_attention_heads": 4, "intermediate_size": 192, "hidden_dropout_prob": 0.0})");
  const auto c = AlbertConfig::from_preset_or_file(path, 50);
  EXPECT_EQ(c.vocab_size, 50);
  EXPECT_EQ(c.embedding_size, 64);
  EXPECT_EQ(c.hidden_size, 96);
  EXPECT_EQ(c.num_hidden_groups, 2);
  EXPECT_EQ(c.hidden_dropout_prob, 0.0);
  // A preset name still works; a broken or missing file is named in the error.
  EXPECT_EQ(AlbertConfig::from_preset_or_file("tiny", 50).to_json(),
            AlbertConfig::tiny(50).to_json());
  const auto expect_error = [&](const std::string& file, const std::string& part) {
    try {
      AlbertConfig::from_preset_or_file(file, 50);
      ADD_FAILURE() << "accepted " << file;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error(dir.file("absent.json"), "cannot open");
  expect_error(dir.write("bad.json", "{\"hidden_size\": "), "not valid JSON");
  expect_error(dir.write("heads.json", R"({"hidden_size": 100, "num_hidden_layers": 2,
      "num_attention_heads": 3, "intermediate_size": 8})"),
               "num_attention_heads");
}

TEST(AlbertConfigTest, NamedPresetsIncludingUnsharedLayers) {
  EXPECT_EQ(AlbertConfig::from_preset("tiny", 50).to_json(), AlbertConfig::tiny(50).to_json());
  EXPECT_EQ(AlbertConfig::from_preset("base", 50).to_json(), AlbertConfig::base(50).to_json());
  const auto unshared = AlbertConfig::from_preset("tiny-unshared", 50);
  EXPECT_EQ(unshared.num_hidden_groups, 4);
  EXPECT_EQ(unshared.num_hidden_layers, 4);
  EXPECT_EQ(unshared.hidden_size, 312);
  EXPECT_EQ(AlbertConfig::from_preset("small-unshared", 50).num_hidden_groups, 6);
  for (const auto& name : AlbertConfig::preset_names())
    EXPECT_NO_THROW(AlbertConfig::from_preset(name, 50)) << name;
  for (const char* bad : {"", "huge", "-unshared", "tiny-shared", "tinyunshared"}) {
    try {
      AlbertConfig::from_preset(bad, 50);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("tiny-unshared"), std::string::npos) << e.what();
    }
  }
  // An unshared model has one parameter group per layer, each with its own (HF-named) weights.
  AlbertModel model(unshared);
  int groups_seen = 0;
  for (const auto& p : model->named_parameters()) {
    if (p.key().find("albert_layer_groups.3.albert_layers.0.attention.query.weight") !=
        std::string::npos)
      ++groups_seen;
  }
  EXPECT_EQ(groups_seen, 1);
}

TEST(AlbertConfigTest, JsonRoundTripAndHfFile) {
  const auto c = toy_config("relu");
  const auto back = AlbertConfig::from_json(c.to_json());
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_EQ(back.hidden_act, "relu");
  EXPECT_EQ(back.inner_group_num, 2);

  // A Chinese albert_tiny config.json as transformers writes it (unrelated keys included).
  const auto hf = nlohmann::json::parse(R"({
    "architectures": ["AlbertForMaskedLM"], "attention_probs_dropout_prob": 0.0,
    "bos_token_id": 2, "classifier_dropout_prob": 0.1, "embedding_size": 128, "eos_token_id": 3,
    "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "hidden_size": 312,
    "initializer_range": 0.02, "inner_group_num": 1, "intermediate_size": 1248,
    "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "albert",
    "num_attention_heads": 12, "num_hidden_groups": 1, "num_hidden_layers": 4,
    "pad_token_id": 0, "position_embedding_type": "absolute", "type_vocab_size": 2,
    "vocab_size": 21128})");
  const auto tiny = AlbertConfig::from_json(hf);
  EXPECT_EQ(tiny.hidden_size, 312);
  EXPECT_EQ(tiny.hidden_act, "gelu");
  EXPECT_EQ(tiny.vocab_size, 21128);
  EXPECT_DOUBLE_EQ(tiny.layer_norm_eps, 1e-12);
}

std::string config_error(nlohmann::json j) {
  try {
    AlbertConfig::from_json(j);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(AlbertConfigTest, ValidationMessagesNameTheProblem) {
  auto j = toy_config().to_json();
  auto bad = j;
  bad["hidden_size"] = 13;
  EXPECT_EQ(config_error(bad),
            "albert config: hidden_size (13) must be divisible by num_attention_heads (3)");
  bad = j;
  bad["num_hidden_groups"] = 3;
  EXPECT_EQ(config_error(bad),
            "albert config: num_hidden_layers (4) must be divisible by num_hidden_groups (3)");
  bad = j;
  bad["hidden_act"] = "swish";
  EXPECT_NE(config_error(bad).find("hidden_act 'swish' is not supported"), std::string::npos);
  bad = j;
  bad.erase("vocab_size");
  EXPECT_EQ(config_error(bad), "albert config: missing required key 'vocab_size'");
  bad = j;
  bad["hidden_size"] = "312";
  EXPECT_EQ(config_error(bad), "albert config: 'hidden_size' must be an integer, got \"312\"");
  bad = j;
  bad["intermediate_size"] = 0;
  EXPECT_EQ(config_error(bad), "albert config: intermediate_size must be positive, got 0");
  bad = j;
  bad["position_embedding_type"] = "relative_key";
  EXPECT_NE(config_error(bad).find("position_embedding_type 'relative_key' is not supported"),
            std::string::npos);
  bad = j;
  bad["hidden_dropout_prob"] = 1.5;
  EXPECT_NE(config_error(bad).find("hidden_dropout_prob must be in [0, 1)"), std::string::npos);
  EXPECT_NO_THROW({ AlbertModel model(AlbertConfig::from_json(j)); });

  // Sizes are bounded before a model is built from them (core/model_limits.h).
  bad = j;
  bad["num_hidden_layers"] = 1000000000;
  bad["num_hidden_groups"] = 1;
  EXPECT_EQ(config_error(bad),
            "albert config: num_hidden_layers must be at most 128, found 1000000000");
  bad = j;
  bad["intermediate_size"] = std::int64_t{1} << 40;
  EXPECT_EQ(config_error(bad),
            "albert config: intermediate_size must be at most 65536, found 1099511627776");
}

// (a) The parameter names are Hugging Face's AlbertForPreTraining state-dict keys, in module order.
TEST(AlbertModelTest, ParameterNamesAreHuggingFaceKeys) {
  AlbertForPreTraining model(toy_config());
  std::vector<std::string> names;
  for (const auto& p : model->named_parameters()) names.push_back(p.key());
  const std::vector<std::string> expected = {
      "albert.embeddings.word_embeddings.weight",
      "albert.embeddings.position_embeddings.weight",
      "albert.embeddings.token_type_embeddings.weight",
      "albert.embeddings.LayerNorm.weight",
      "albert.embeddings.LayerNorm.bias",
      "albert.encoder.embedding_hidden_mapping_in.weight",
      "albert.encoder.embedding_hidden_mapping_in.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.key.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.key.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.value.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.value.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.dense.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.dense.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.LayerNorm.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.LayerNorm.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn_output.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.full_layer_layer_norm.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.full_layer_layer_norm.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.query.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.query.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.key.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.key.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.value.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.value.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.dense.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.dense.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.LayerNorm.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.attention.LayerNorm.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.ffn.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.ffn.bias",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.ffn_output.weight",
      "albert.encoder.albert_layer_groups.0.albert_layers.1.ffn_output.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.full_layer_layer_norm.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.full_layer_layer_norm.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.query.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.query.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.key.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.key.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.value.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.value.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.dense.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.dense.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.LayerNorm.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.attention.LayerNorm.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.ffn.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.ffn.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.ffn_output.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.0.ffn_output.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.full_layer_layer_norm.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.full_layer_layer_norm.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.query.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.query.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.key.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.key.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.value.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.value.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.dense.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.dense.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.LayerNorm.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.attention.LayerNorm.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.ffn.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.ffn.bias",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.ffn_output.weight",
      "albert.encoder.albert_layer_groups.1.albert_layers.1.ffn_output.bias",
      "albert.pooler.weight",
      "albert.pooler.bias",
      "predictions.bias",
      "predictions.LayerNorm.weight",
      "predictions.LayerNorm.bias",
      "predictions.dense.weight",
      "predictions.dense.bias",
      "sop_classifier.classifier.weight",
      "sop_classifier.classifier.bias",
  };
  EXPECT_EQ(names, expected);
  EXPECT_TRUE(model->named_buffers().is_empty());

  // The checkpoint view adds HF's tied names, sharing the canonical tensors' storage.
  const auto sd = state_dict(*model);
  EXPECT_EQ(sd.size(), expected.size() + 2);
  ASSERT_TRUE(sd.count("predictions.decoder.weight"));
  ASSERT_TRUE(sd.count("predictions.decoder.bias"));
  EXPECT_EQ(sd.at("predictions.decoder.weight").data_ptr(),
            model->albert->embeddings->word_embeddings->weight.data_ptr());
  EXPECT_EQ(sd.at("predictions.decoder.bias").data_ptr(), model->predictions->bias.data_ptr());
  EXPECT_EQ(state_dict(*model, /*include_tied_aliases=*/false).size(), expected.size());

  const auto shape = [&](const std::string& name) { return sd.at(name).sizes().vec(); };
  EXPECT_EQ(shape("albert.embeddings.word_embeddings.weight"), (std::vector<int64_t>{50, 8}));
  EXPECT_EQ(shape("albert.embeddings.position_embeddings.weight"), (std::vector<int64_t>{16, 8}));
  EXPECT_EQ(shape("albert.encoder.embedding_hidden_mapping_in.weight"),
            (std::vector<int64_t>{12, 8}));
  EXPECT_EQ(shape("albert.encoder.albert_layer_groups.1.albert_layers.0.ffn.weight"),
            (std::vector<int64_t>{20, 12}));
  EXPECT_EQ(shape("predictions.dense.weight"), (std::vector<int64_t>{8, 12}));
  EXPECT_EQ(shape("predictions.bias"), (std::vector<int64_t>{50}));
  EXPECT_EQ(shape("sop_classifier.classifier.weight"), (std::vector<int64_t>{2, 12}));
}

TEST(AlbertModelTest, InitialisationFollowsHuggingFace) {
  auto c = toy_config();
  c.vocab_size = 400;
  c.embedding_size = 64;
  c.initializer_range = 0.05;
  torch::manual_seed(3);
  AlbertForPreTraining model(c);
  const auto& word = model->albert->embeddings->word_embeddings->weight;
  EXPECT_NEAR(word.slice(0, 1).std().item<double>(), 0.05, 0.003);
  EXPECT_EQ(word[0].abs().sum().item<double>(), 0.0);  // pad row
  const auto& ffn = model->albert->encoder->albert_layer_groups[1]
                        ->as<AlbertLayerGroupImpl>()
                        ->albert_layers[0]
                        ->as<AlbertLayerImpl>()
                        ->ffn;
  EXPECT_NEAR(ffn->weight.std().item<double>(), 0.05, 0.01);
  EXPECT_EQ(ffn->bias.abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(model->predictions->LayerNorm->weight, torch::ones({64})));
  EXPECT_EQ(model->predictions->bias.abs().sum().item<double>(), 0.0);
  EXPECT_NEAR(model->sop_classifier->classifier->weight.std().item<double>(), 0.05, 0.02);
}

// (b) The key correctness test: libtorch forward == plain loops over the same weights.
TEST(AlbertModelTest, ForwardMatchesIndependentLoopReference) {
  for (const char* act : {"gelu_new", "gelu", "relu"}) {
    SCOPED_TRACE(act);
    const auto config = toy_config(act);
    AlbertForPreTraining model(config);
    randomise(*model, 11);
    model->eval();
    const ToyBatch batch;
    torch::NoGradGuard no_grad;
    const auto out = model->forward(batch.input_ids(), batch.attention_mask(), batch.token_types());
    const Reference ref(state_dict(*model), config);

    const auto seq = out.encoder.sequence_output.contiguous();
    const auto pooled = out.encoder.pooled_output.contiguous();
    ASSERT_EQ(seq.sizes().vec(), (std::vector<int64_t>{2, 7, 12}));
    ASSERT_EQ(pooled.sizes().vec(), (std::vector<int64_t>{2, 12}));
    ASSERT_EQ(out.mlm_logits.sizes().vec(), (std::vector<int64_t>{2, 7, 50}));
    ASSERT_EQ(out.sop_logits.sizes().vec(), (std::vector<int64_t>{2, 2}));
    double seq_diff = 0.0, pooled_diff = 0.0, mlm_diff = 0.0, sop_diff = 0.0, seq_scale = 0.0;
    for (int64_t b = 0; b < 2; ++b) {
      const auto& row = batch.ids[static_cast<std::size_t>(b)];
      const auto h = ref.encode(row, batch.types[static_cast<std::size_t>(b)],
                                batch.mask[static_cast<std::size_t>(b)]);
      for (std::size_t t = 0; t < row.size(); ++t) {
        if (batch.mask[static_cast<std::size_t>(b)][t] == 0) continue;  // real positions only
        const auto ti = static_cast<int64_t>(t);
        for (std::size_t i = 0; i < h[t].size(); ++i) {
          const double got = seq[b][ti][static_cast<int64_t>(i)].item<double>();
          seq_diff = std::max(seq_diff, std::abs(got - h[t][i]));
          seq_scale = std::max(seq_scale, std::abs(h[t][i]));
        }
        const auto logits = ref.mlm(h[t]);
        for (std::size_t v = 0; v < logits.size(); ++v) {
          const double got = out.mlm_logits[b][ti][static_cast<int64_t>(v)].item<double>();
          mlm_diff = std::max(mlm_diff, std::abs(got - logits[v]));
        }
      }
      const auto p = ref.pool(h);
      for (std::size_t i = 0; i < p.size(); ++i) {
        pooled_diff = std::max(pooled_diff,
                               std::abs(pooled[b][static_cast<int64_t>(i)].item<double>() - p[i]));
      }
      const auto s = ref.sop(p);
      for (std::size_t i = 0; i < 2; ++i) {
        sop_diff = std::max(
            sop_diff, std::abs(out.sop_logits[b][static_cast<int64_t>(i)].item<double>() - s[i]));
      }
    }
    EXPECT_GT(seq_scale, 0.5);  // outputs are not trivially small
    EXPECT_LT(seq_diff, 1e-5);
    EXPECT_LT(pooled_diff, 1e-5);
    EXPECT_LT(mlm_diff, 1e-4);  // logits are sums of E products of O(1) terms
    EXPECT_LT(sop_diff, 1e-5);
  }
}

TEST(AlbertModelTest, PaddingAndMaskedPositionsAreConsistent) {
  AlbertForPreTraining model(toy_config());
  randomise(*model, 5);
  model->eval();
  torch::NoGradGuard no_grad;
  const ToyBatch batch;
  const auto full = model->forward(batch.input_ids(), batch.attention_mask(), batch.token_types());

  // The padded row alone, unpadded: the same real-position outputs.
  const auto ids = batch.input_ids().slice(0, 1, 2).slice(1, 0, 4);
  const auto types = batch.token_types().slice(0, 1, 2).slice(1, 0, 4);
  const auto alone = model->forward(ids, {}, types);
  EXPECT_LT(max_abs_diff(alone.encoder.sequence_output[0],
                         full.encoder.sequence_output[1].slice(0, 0, 4)),
            1e-5);
  EXPECT_LT(max_abs_diff(alone.encoder.pooled_output[0], full.encoder.pooled_output[1]), 1e-5);
  // Without the mask, the pads would be attended to and the outputs would differ.
  const auto unmasked = model->forward(batch.input_ids(), {}, batch.token_types());
  EXPECT_GT(max_abs_diff(unmasked.encoder.pooled_output[1], full.encoder.pooled_output[1]), 1e-3);

  // MLM logits at selected flat positions equal the full logits there.
  const auto positions = torch::tensor({1, 5, 8, 10}, torch::kLong);
  const auto some =
      model->forward(batch.input_ids(), batch.attention_mask(), batch.token_types(), positions);
  ASSERT_EQ(some.mlm_logits.sizes().vec(), (std::vector<int64_t>{4, 50}));
  EXPECT_LT(
      max_abs_diff(some.mlm_logits, full.mlm_logits.reshape({14, 50}).index_select(0, positions)),
      1e-6);

  // Sequences longer than the position table are refused with a clear message.
  try {
    model->forward(torch::zeros({1, 17}, torch::kLong));
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "albert: sequence length 17 exceeds max_position_embeddings 16");
  }
}

TEST(AlbertModelTest, IsolatedPackedLinesEqualEachLineAlone) {
  AlbertModel model(toy_config());
  randomise(*model, 9);
  model->eval();
  torch::NoGradGuard no_grad;
  // One row: [CLS] 7 8 [SEP] | 9 10 11 [SEP] | pad; blocks 0 0 0 0 1 1 1 1 -1, positions restart
  // at 1.
  const auto ids = torch::tensor({{2, 7, 8, 3, 9, 10, 11, 3, 0}}, torch::kLong);
  const auto mask = torch::tensor({{1, 1, 1, 1, 1, 1, 1, 1, 0}}, torch::kLong);
  PackedLayout layout;
  layout.position_ids = torch::tensor({{0, 1, 2, 3, 1, 2, 3, 4, 0}}, torch::kLong);
  layout.attention_blocks = torch::tensor({{0, 0, 0, 0, 1, 1, 1, 1, -1}}, torch::kLong);
  const auto packed = model->forward(ids, mask, {}, layout).sequence_output[0];

  const auto first = model->forward(ids.slice(1, 0, 4)).sequence_output[0];
  EXPECT_LT(max_abs_diff(first, packed.slice(0, 0, 4)), 1e-5);
  PackedLayout second_layout;
  second_layout.position_ids = torch::tensor({{1, 2, 3, 4}}, torch::kLong);
  const auto second = model->forward(ids.slice(1, 4, 8), {}, {}, second_layout).sequence_output[0];
  EXPECT_LT(max_abs_diff(second, packed.slice(0, 4, 8)), 1e-5);
  // Plain packing mixes the lines: the first line's outputs change.
  const auto mixed = model->forward(ids, mask).sequence_output[0];
  EXPECT_GT(max_abs_diff(first, mixed.slice(0, 0, 4)), 1e-3);
}

TEST(AlbertModelTest, TrainModeAppliesDropoutEvalModeDoesNot) {
  AlbertModel model(toy_config());
  randomise(*model, 2);
  const ToyBatch batch;
  torch::NoGradGuard no_grad;
  model->eval();
  const auto a = model->forward(batch.input_ids(), batch.attention_mask()).sequence_output;
  const auto b = model->forward(batch.input_ids(), batch.attention_mask()).sequence_output;
  EXPECT_TRUE(torch::equal(a, b));
  model->train();
  const auto c = model->forward(batch.input_ids(), batch.attention_mask()).sequence_output;
  EXPECT_GT(max_abs_diff(a, c), 1e-3);
}

// ---- (c) state I/O ----

std::string load_error(torch::nn::Module& module, const StateDict& sd, LoadOptions options = {}) {
  try {
    load_state_dict(module, sd, options);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "(no error)";
}

StateDict cloned(const StateDict& sd) {
  StateDict out;
  for (const auto& [name, t] : sd) out[name] = t.clone();
  return out;
}

// A NaN or Inf anywhere in a checkpoint is refused at load, naming the tensor (every model loads
// through load_state_dict: teacher, student, pretrained encoder).
TEST(AlbertStateTest, NonFiniteValuesAreRefused) {
  AlbertForPreTraining model(toy_config());
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
    auto sd = cloned(state_dict(*model));
    sd.at("albert.encoder.embedding_hidden_mapping_in.bias").index_put_({1}, bad);
    sd.at("albert.encoder.embedding_hidden_mapping_in.bias").index_put_({2}, bad);
    const std::string error = load_error(*model, sd);
    EXPECT_EQ(error.rfind("albert.encoder.embedding_hidden_mapping_in.bias: 2 of ", 0), 0u)
        << error;
    EXPECT_NE(error.find("values are not finite"), std::string::npos) << error;
  }
}

TEST(AlbertStateTest, RoundTripGivesIdenticalOutputs) {
  const auto config = toy_config();
  AlbertForPreTraining source(config);
  randomise(*source, 21);
  AlbertForPreTraining target(config);
  randomise(*target, 22);
  const auto sd = cloned(state_dict(*source));
  const auto report = load_state_dict(*target, sd);
  EXPECT_EQ(report.loaded.size(), target->parameters().size());
  EXPECT_TRUE(report.unexpected.empty());  // the tied aliases are consumed, not "unexpected"
  EXPECT_TRUE(report.missing.empty());
  EXPECT_FALSE(report.prefix_remapped);

  source->eval();
  target->eval();
  torch::NoGradGuard no_grad;
  const ToyBatch batch;
  const auto a = source->forward(batch.input_ids(), batch.attention_mask(), batch.token_types());
  const auto b = target->forward(batch.input_ids(), batch.attention_mask(), batch.token_types());
  EXPECT_TRUE(torch::equal(a.mlm_logits, b.mlm_logits));
  EXPECT_TRUE(torch::equal(a.sop_logits, b.sop_logits));
  EXPECT_TRUE(torch::equal(a.encoder.sequence_output, b.encoder.sequence_output));
  // Loading copies into the existing tensors, so the decoder is still the word embedding matrix.
  EXPECT_EQ(state_dict(*target).at("predictions.decoder.weight").data_ptr(),
            target->albert->embeddings->word_embeddings->weight.data_ptr());
}

TEST(AlbertStateTest, MismatchesNameTheFirstOffendingTensor) {
  const auto config = toy_config();
  AlbertForPreTraining model(config);
  const auto before = cloned(state_dict(*model));
  AlbertForPreTraining other(config);
  randomise(*other, 8);
  const auto good = cloned(state_dict(*other));

  auto sd = good;
  sd["albert.encoder.embedding_hidden_mapping_in.weight"] = torch::zeros({12, 9});
  EXPECT_EQ(load_error(*model, sd),
            "albert.encoder.embedding_hidden_mapping_in.weight: shape [12,8] expected, checkpoint "
            "has [12,9]");
  sd.erase("albert.pooler.weight");  // a later problem: the first one is still reported
  EXPECT_EQ(load_error(*model, sd),
            "albert.encoder.embedding_hidden_mapping_in.weight: shape [12,8] expected, checkpoint "
            "has [12,9]");
  // All checks run before any copy: the failed loads changed nothing.
  for (const auto& [name, t] : state_dict(*model)) {
    EXPECT_TRUE(torch::equal(t, before.at(name))) << name;
  }

  sd = good;
  sd.erase("albert.pooler.weight");
  EXPECT_EQ(load_error(*model, sd),
            "albert.pooler.weight: missing from checkpoint (expected shape [12,12])");

  sd = good;
  sd["predictions.dense.bias"] = sd["predictions.dense.bias"].to(torch::kDouble);
  EXPECT_EQ(load_error(*model, sd),
            "predictions.dense.bias: dtype Float expected, checkpoint has Double");
  LoadOptions convert;
  convert.allow_dtype_conversion = true;
  EXPECT_EQ(load_error(*model, sd, convert), "(no error)");

  sd = good;
  sd["predictions.decoder.weight"] = torch::zeros({50, 7});
  EXPECT_EQ(load_error(*model, sd),
            "predictions.decoder.weight: shape [50,8] expected, checkpoint has [50,7]");
}

TEST(AlbertStateTest, ExtraTensorsAreReportedAndKnownBuffersIgnored) {
  AlbertForPreTraining model(toy_config());
  auto sd = cloned(state_dict(*model));
  sd["classifier.weight"] = torch::zeros({3, 12});
  sd["albert.embeddings.position_ids"] = torch::arange(16).unsqueeze(0);
  const auto report = load_state_dict(*model, sd);
  EXPECT_EQ(report.unexpected, (std::vector<std::string>{"classifier.weight"}));
  EXPECT_EQ(report.ignored, (std::vector<std::string>{"albert.embeddings.position_ids"}));

  LoadOptions strict;
  strict.error_on_unexpected = true;
  EXPECT_EQ(load_error(*model, sd, strict), "unexpected tensors in checkpoint: classifier.weight");
}

TEST(AlbertStateTest, TiedDecoderMayBeAbsentOrTheOnlyCopy) {
  const auto config = toy_config();
  AlbertForPreTraining source(config);
  randomise(*source, 31);
  const auto full = cloned(state_dict(*source));

  // HF safetensors files omit the tied names.
  auto without = full;
  without.erase("predictions.decoder.weight");
  without.erase("predictions.decoder.bias");
  AlbertForPreTraining a(config);
  EXPECT_TRUE(load_state_dict(*a, without).unexpected.empty());
  EXPECT_TRUE(torch::equal(a->albert->embeddings->word_embeddings->weight,
                           full.at("albert.embeddings.word_embeddings.weight")));

  // Only the alias names: old checkpoints keep the MLM bias as predictions.decoder.bias alone.
  auto only_alias = full;
  only_alias.erase("albert.embeddings.word_embeddings.weight");
  only_alias.erase("predictions.bias");
  AlbertForPreTraining b(config);
  const auto report = load_state_dict(*b, only_alias);
  EXPECT_TRUE(report.unexpected.empty());
  EXPECT_TRUE(torch::equal(b->albert->embeddings->word_embeddings->weight,
                           full.at("albert.embeddings.word_embeddings.weight")));
  EXPECT_TRUE(torch::equal(b->predictions->bias, full.at("predictions.bias")));
}

// A task model holding the encoder as "albert", like the joint SLU model does.
struct HolderImpl : torch::nn::Module {
  explicit HolderImpl(const AlbertConfig& c) { albert = register_module("albert", AlbertModel(c)); }
  AlbertModel albert{nullptr};
};
TORCH_MODULE(Holder);

TEST(AlbertStateTest, PrefixLessCheckpointsLoadBothWays) {
  const auto config = toy_config();
  AlbertModel bare(config);
  randomise(*bare, 41);
  bare->eval();
  const auto bare_sd = cloned(state_dict(*bare));
  ASSERT_TRUE(bare_sd.count("embeddings.word_embeddings.weight"));
  const ToyBatch batch;
  torch::NoGradGuard no_grad;
  const auto expected =
      bare->forward(batch.input_ids(), batch.attention_mask(), batch.token_types());

  // Bare AlbertModel checkpoint -> module with "albert." (prefix added).
  Holder holder(config);
  auto report = load_state_dict(*holder, bare_sd);
  EXPECT_TRUE(report.prefix_remapped);
  EXPECT_EQ(report.checkpoint_prefix, "");
  EXPECT_EQ(report.module_prefix, "albert.");
  EXPECT_TRUE(report.unexpected.empty());
  holder->eval();
  const auto got =
      holder->albert->forward(batch.input_ids(), batch.attention_mask(), batch.token_types());
  EXPECT_TRUE(torch::equal(got.sequence_output, expected.sequence_output));
  EXPECT_TRUE(torch::equal(got.pooled_output, expected.pooled_output));

  // Into AlbertForPreTraining the heads are missing: an error unless explicitly allowed.
  AlbertForPreTraining pretraining(config);
  EXPECT_EQ(load_error(*pretraining, bare_sd),
            "predictions.bias: missing from checkpoint (expected shape [50])");
  LoadOptions fresh_heads;
  fresh_heads.allow_missing_prefixes = {"predictions.", "sop_classifier."};
  report = load_state_dict(*pretraining, bare_sd, fresh_heads);
  EXPECT_EQ(report.missing.size(), 7u);
  pretraining->eval();
  EXPECT_TRUE(torch::equal(
      pretraining->forward(batch.input_ids(), batch.attention_mask(), batch.token_types())
          .encoder.pooled_output,
      expected.pooled_output));

  // AlbertForPreTraining checkpoint -> bare AlbertModel ("albert." stripped, heads unexpected).
  AlbertModel stripped(config);
  report = load_state_dict(*stripped, cloned(state_dict(*pretraining)));
  EXPECT_TRUE(report.prefix_remapped);
  EXPECT_EQ(report.checkpoint_prefix, "albert.");
  EXPECT_EQ(report.module_prefix, "");
  EXPECT_EQ(report.unexpected.size(), 9u);  // 7 head tensors + the 2 tied aliases
  for (const auto& name : report.unexpected) {
    EXPECT_TRUE(name.rfind("predictions.", 0) == 0 || name.rfind("sop_classifier.", 0) == 0)
        << name;
  }
  stripped->eval();
  EXPECT_TRUE(
      torch::equal(stripped->forward(batch.input_ids(), batch.attention_mask(), batch.token_types())
                       .pooled_output,
                   expected.pooled_output));
}

// (d) A tiny model memorises a fixed MLM + SOP batch: the heads, the tie and backprop all work.
TEST(AlbertTrainingTest, MaskedLmLossDropsOnAFixedBatch) {
  AlbertConfig c;
  c.vocab_size = 40;
  c.embedding_size = 16;
  c.hidden_size = 32;
  c.num_attention_heads = 4;
  c.intermediate_size = 64;
  c.num_hidden_layers = 2;
  c.max_position_embeddings = 16;
  c.hidden_dropout_prob = 0.0;
  c.attention_probs_dropout_prob = 0.0;
  c.classifier_dropout_prob = 0.0;
  torch::manual_seed(7);
  AlbertForPreTraining model(c);
  model->train();

  constexpr int64_t kMask = 4;
  const auto original = torch::randint(5, 40, {4, 12}, torch::kLong);
  const auto masked = torch::rand({4, 12}) < 0.3;
  const auto input_ids = torch::where(masked, torch::full_like(original, kMask), original);
  const auto positions = torch::nonzero(masked.view(-1)).squeeze(1);
  const auto targets = original.view(-1).index_select(0, positions);
  const auto sop_labels = torch::tensor({0, 1, 0, 1}, torch::kLong);
  ASSERT_GT(positions.size(0), 5);
  const auto embeddings_before = model->albert->embeddings->word_embeddings->weight.clone();

  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
  double first = 0.0, last = 0.0;
  for (int step = 0; step < 50; ++step) {
    optimizer.zero_grad();
    const auto out = model->forward(input_ids, {}, {}, positions);
    const auto mlm = torch::nn::functional::cross_entropy(out.mlm_logits, targets);
    const auto loss = mlm + torch::nn::functional::cross_entropy(out.sop_logits, sop_labels);
    loss.backward();
    optimizer.step();
    if (step == 0) first = mlm.item<double>();
    last = mlm.item<double>();
  }
  EXPECT_GT(first, 3.0);  // ~ln(40) at the start
  EXPECT_LT(last, 0.25 * first) << "first " << first << " last " << last;
  // The decoder is still the (trained) word embedding matrix.
  EXPECT_FALSE(torch::equal(model->albert->embeddings->word_embeddings->weight, embeddings_before));
  EXPECT_EQ(state_dict(*model).at("predictions.decoder.weight").data_ptr(),
            model->albert->embeddings->word_embeddings->weight.data_ptr());
}

TEST(AlbertModelTest, SinusoidalPositionInitRelatesNeighboursAndKeepsTheScale) {
  torch::manual_seed(5);
  AlbertModel model(AlbertConfig::tiny(50));
  StateDict before;
  for (const auto& [name, t] : state_dict(*model)) before[name] = t.clone();
  const auto cosine = [](const torch::Tensor& w, int64_t a, int64_t b) {
    return torch::cosine_similarity(w[a], w[b], 0).item<double>();
  };
  const auto& w = model->embeddings->position_embeddings->weight;
  // HF's random rows are unrelated to each other...
  EXPECT_LT(std::abs(cosine(w, 10, 11)), 0.4);
  init_position_embeddings(*model, PositionInit::kSinusoidal);
  // ...a sine table makes neighbours alike and far positions less so, at the same scale.
  EXPECT_NEAR(w.std().item<double>(), 0.02, 1e-4);
  for (const int64_t p : {0, 10, 40, 300}) {
    EXPECT_GT(cosine(w, p, p + 1), 0.9) << p;
    EXPECT_GT(cosine(w, p, p + 1), cosine(w, p, p + 20)) << p;
  }
  for (const auto& [name, t] : state_dict(*model)) {
    if (name == "embeddings.position_embeddings.weight") continue;
    EXPECT_TRUE(torch::equal(t, before.at(name))) << name;
  }
  init_position_embeddings(*model, PositionInit::kNormal);
  EXPECT_NEAR(w.std().item<double>(), 0.02, 0.002);
  EXPECT_LT(std::abs(cosine(w, 10, 11)), 0.4);
  EXPECT_EQ(parse_position_init("sinusoidal"), PositionInit::kSinusoidal);
  EXPECT_THROW(parse_position_init("sine"), std::invalid_argument);
}

TEST(AlbertModelTest, UnitScaleProjectionInitChangesOnlyThatWeight) {
  torch::manual_seed(3);
  AlbertModel model(AlbertConfig::tiny(50));
  StateDict before;  // copies: state_dict() aliases the live parameters
  for (const auto& [name, t] : state_dict(*model)) before[name] = t.clone();
  init_embedding_projection_unit_scale(*model);
  const auto& w = model->encoder->embedding_hidden_mapping_in->weight;
  // HF's draw has std 0.02; unit output scale over 128 inputs needs 1/sqrt(128) = 0.088.
  EXPECT_NEAR(before.at("encoder.embedding_hidden_mapping_in.weight").std().item<double>(), 0.02,
              0.002);
  EXPECT_NEAR(w.std().item<double>(), 1.0 / std::sqrt(128.0), 0.005);
  for (const auto& [name, t] : state_dict(*model)) {
    if (name == "encoder.embedding_hidden_mapping_in.weight") continue;
    EXPECT_TRUE(torch::equal(t, before.at(name))) << name;
  }
}

TEST(AlbertConfigTest, BertPresetsAreBertShapedAndStartWithAnIdentityProjection) {
  for (const auto& [name, size] :
       std::vector<std::pair<std::string, AlbertConfig>>{{"bert-tiny", AlbertConfig::tiny(50)},
                                                         {"bert-small", AlbertConfig::small(50)},
                                                         {"bert-base", AlbertConfig::base(50)}}) {
    const auto c = AlbertConfig::from_preset(name, 50);
    EXPECT_TRUE(AlbertConfig::is_bert_preset(name));
    EXPECT_EQ(c.embedding_size, c.hidden_size) << name;           // no factorised embedding
    EXPECT_EQ(c.num_hidden_groups, c.num_hidden_layers) << name;  // no sharing
    EXPECT_EQ(c.hidden_size, size.hidden_size) << name;
    EXPECT_EQ(c.intermediate_size, size.intermediate_size) << name;
  }
  EXPECT_FALSE(AlbertConfig::is_bert_preset("tiny-unshared"));
  EXPECT_THROW(AlbertConfig::from_preset("bert-huge", 50), std::invalid_argument);
  EXPECT_THROW(AlbertConfig::from_preset("bert-tiny-unshared", 50), std::invalid_argument);

  torch::manual_seed(3);
  AlbertModel bert(AlbertConfig::from_preset("bert-tiny", 50));
  init_embedding_projection_identity(*bert);
  const auto x = torch::randn({2, 5, 312});
  EXPECT_TRUE(torch::allclose(bert->encoder->embedding_hidden_mapping_in->forward(x), x));
  AlbertModel albert(AlbertConfig::tiny(50));  // E128 -> H312: no identity
  EXPECT_THROW(init_embedding_projection_identity(*albert), std::invalid_argument);
}

}  // namespace
}  // namespace jointnlu::train
