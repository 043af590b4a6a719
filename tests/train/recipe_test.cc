// The training recipes through the library API alone (no CLI): a tiny teacher trained and a
// student distilled from it, the recipe saved beside each model, and recipe files and checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file_io.h"
#include "test_util.h"
#include "train/predictor.h"
#include "train/recipes/recipe_fields.h"
#include "train/recipes/student_recipe.h"
#include "train/recipes/teacher_recipe.h"

namespace jointnlu::train {
namespace {

using jointnlu::testing::TempDir;

const std::string kDemo = std::string(JOINTNLU_SOURCE_DIR) + "/data/demo/";

TEST(Recipes, TeacherThenDistilledStudentThroughTheLibrary) {
  TempDir tmp;
  TeacherRecipe t;
  t.train = kDemo + "train.json";
  t.dev = kDemo + "dev.json";
  t.test = kDemo + "test.json";
  t.out = tmp.file("teacher");
  t.init = "none";
  t.epochs = 2;
  t.max_length = 32;
  t.threads = 1;
  std::vector<EpochReport> epochs;
  TrainingCallbacks callbacks;
  callbacks.on_epoch = [&](const EpochReport& e) { epochs.push_back(e); };
  const TrainingOutcome teacher = train_teacher(t, callbacks);
  EXPECT_EQ(teacher.epochs_completed, 2);
  ASSERT_EQ(epochs.size(), 2u);  // progress came through the callback, with dev scores
  EXPECT_EQ(epochs[1].epoch, 2);
  EXPECT_TRUE(epochs[1].dev.has_value());
  ASSERT_TRUE(teacher.test.has_value());
  EXPECT_EQ(teacher.test->utterances, 60u);
  // The recipe is saved with the model and reads back to the same recipe.
  const auto saved = nlohmann::json::parse(read_file(t.out + "/recipe.json"));
  EXPECT_EQ(saved, recipe_to_json(t));
  EXPECT_EQ(recipe_to_json(recipe_from_json<TeacherRecipe>(saved, "recipe.json")), saved);

  StudentRecipe s;
  s.train = t.train;
  s.dev = t.dev;
  s.test = t.test;
  s.out = tmp.file("student");
  s.teacher = {t.out};
  s.augment = 1;
  s.epochs = 2;
  s.hidden_size = 32;
  s.embedding_size = 32;
  s.threads = 1;
  const TrainingOutcome student = distill(s);
  EXPECT_EQ(student.epochs_completed, 2);
  ASSERT_TRUE(student.test.has_value());
  const auto predictor = load_predictor(s.out);
  EXPECT_EQ(predictor.predict({"播放周杰伦的稻香"}, 1).size(), 1u);
  const auto config = nlohmann::json::parse(read_file(s.out + "/config.json"));
  EXPECT_EQ(config["jointnlu"]["training"]["distill"]["augment"], 1);
  EXPECT_EQ(nlohmann::json::parse(read_file(s.out + "/recipe.json"))["teacher"][0], t.out);
}

TEST(Recipes, ChecksNameTheField) {
  StudentRecipe s;
  s.train = "train.json";
  s.out = "out";
  s.teacher = {"teacher"};
  s.temperature = 0;
  try {
    s.validate(true);
    FAIL() << "temperature 0 accepted";
  } catch (const RecipeError& e) {
    EXPECT_EQ(e.field(), "temperature");
  }
  s.temperature = 2;
  EXPECT_NO_THROW(s.validate(true));
  s.teacher.clear();
  EXPECT_THROW(s.validate(true), RecipeError);  // distillation needs a teacher
  EXPECT_NO_THROW(s.validate(false));           // the student alone does not

  TeacherRecipe t;
  t.train = "train.json";
  t.out = "out";
  t.classifier_pooling = "first";
  try {
    t.validate();
    FAIL() << "pooling 'first' accepted";
  } catch (const RecipeError& e) {
    EXPECT_EQ(e.field(), "classifier_pooling");
    EXPECT_NE(std::string(e.what()).find("cls, mean"), std::string::npos) << e.what();
  }
}

TEST(Recipes, FilesRejectUnknownFieldsAndWrongTypes) {
  const auto unknown = nlohmann::json::parse(R"({"epochs": 3, "hiden_size": 64})");
  try {
    (void)recipe_from_json<StudentRecipe>(unknown, "r.json");
    FAIL() << "a misspelt field was accepted";
  } catch (const RecipeError& e) {
    EXPECT_EQ(e.field(), "hiden_size");
  }
  const auto wrong = nlohmann::json::parse(R"({"epochs": "three"})");
  EXPECT_THROW((void)recipe_from_json<TeacherRecipe>(wrong, "r.json"), RecipeError);
  const auto good = nlohmann::json::parse(R"({"epochs": 3, "teacher": ["a", "b"]})");
  const auto r = recipe_from_json<StudentRecipe>(good, "r.json");
  EXPECT_EQ(r.epochs, 3);
  EXPECT_EQ(r.teacher.size(), 2u);
  EXPECT_EQ(r.temperature, StudentRecipe{}.temperature);  // absent fields keep their defaults
}

}  // namespace
}  // namespace jointnlu::train
