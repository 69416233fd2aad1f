// Tests for io/npy, io/idx and io/dataset: round trips for every supported
// dtype, NumPy byte compatibility, IDX (plain and gzip), dataset specs, and
// hostile inputs that must fail with a clear Status instead of crashing.
// Not a test of model I/O (tflite_reader/tflite_writer).
#include <sys/stat.h>
#include <zip.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "io/dataset.h"
#include "io/idx.h"
#include "io/npy.h"
#include "test_util.h"

namespace tfc {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

constexpr DType kNpyDtypes[] = {
    DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8,      DType::kUInt8,
    DType::kInt16,   DType::kUInt16,  DType::kInt32,   DType::kUInt32,    DType::kInt64,
    DType::kUInt64,  DType::kBool,    DType::kComplex64, DType::kComplex128,
};

Array make_array(DType dtype, std::vector<int64_t> shape) {
  Array a{dtype, std::move(shape), {}};
  a.data.resize(static_cast<size_t>(a.num_elements()) * dtype_size(dtype));
  for (size_t i = 0; i < a.data.size(); ++i) {
    a.data[i] = dtype == DType::kBool ? i % 3 == 0 : static_cast<uint8_t>(i * 37 + 11);
  }
  return a;
}

Bytes as_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

void expect_same(const Array& a, const Array& b) {
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.data, b.data);
}

// An .npy image with `dict` as header text, framed as format `major`.0.
Bytes npy_with_header(std::string dict, const Bytes& data = {}, uint8_t major = 1) {
  dict += '\n';
  Bytes out = as_bytes(std::string_view("\x93NUMPY", 6));
  out.push_back(major);
  out.push_back(0);
  const size_t len_bytes = major == 1 ? 2 : 4;
  for (size_t i = 0; i < len_bytes; ++i) out.push_back(static_cast<uint8_t>(dict.size() >> (8 * i)));
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Status parse_error(const Bytes& bytes) {
  auto result = parse_npy(bytes, "test.npy");
  EXPECT_FALSE(result.has_value());
  return result.status();
}

#define EXPECT_ERROR(status_expr, code_value, substring)                   \
  do {                                                                     \
    const ::tfc::Status s_ = (status_expr);                                \
    EXPECT_EQ(s_.code(), (code_value)) << s_.message();                    \
    EXPECT_NE(s_.message().find(substring), std::string::npos) << s_.message(); \
  } while (0)

class TempDir : public ::testing::Test {
 protected:
  test::ScratchDir scratch_{"io_data_test"};
  const fs::path dir_ = scratch_.path();

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_file(const std::string& p, const Bytes& bytes) const {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  }
  Bytes read_file(const std::string& p) const {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
    return names;
  }

};

// ---- .npy ------------------------------------------------------------------

TEST(NpyTest, RoundTripsEveryDtypeInMemory) {
  for (DType dtype : kNpyDtypes) {
    for (const auto& shape : std::vector<std::vector<int64_t>>{{}, {5}, {2, 3, 4}, {0, 3}}) {
      SCOPED_TRACE(fmt::format("{} ({})", dtype_name(dtype), fmt::join(shape, ",")));
      const Array a = make_array(dtype, shape);
      auto bytes = encode_npy(a);
      ASSERT_TRUE(bytes.has_value()) << bytes.status().message();
      EXPECT_EQ((bytes->size() - a.data.size()) % 64, 0u);  // header padded like NumPy's
      auto back = parse_npy(*bytes);
      ASSERT_TRUE(back.has_value()) << back.status().message();
      expect_same(a, *back);
    }
  }
}

TEST(NpyTest, MatchesNumPyBytes) {
  // np.save(f, np.arange(3, dtype='<i4')) with NumPy 2.x.
  using namespace std::string_literals;
  const std::string header =
      "\x93NUMPY\x01\x00v\x00{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }"s +
      std::string(60, ' ') + "\n";
  Bytes expected = as_bytes(header);
  for (uint8_t b : {0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}) expected.push_back(b);
  Array a{DType::kInt32, {3}, {}};
  a.data = Bytes(expected.end() - 12, expected.end());
  auto bytes = encode_npy(a);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, expected);
  auto back = parse_npy(expected);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->as<int32_t>()[2], 2);
}

TEST(NpyTest, ReadsVersion2And3Headers) {
  const Bytes data = {1, 0, 2, 0};
  for (uint8_t major : {2, 3}) {
    auto a = parse_npy(npy_with_header("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", data, major));
    ASSERT_TRUE(a.has_value()) << a.status().message();
    EXPECT_EQ(a->dtype, DType::kInt16);
    EXPECT_EQ(a->shape, std::vector<int64_t>{2});
    EXPECT_EQ(a->as<int16_t>()[1], 2);
  }
}

TEST(NpyTest, AcceptsHeaderVariants) {
  const Bytes data(6, 7);
  for (const char* dict : {
           "{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"|u1\"}",
           "{ 'descr' : '<u1' , 'fortran_order' : False , 'shape' : ( 2 , 3 ) }   ",
           "{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 3L), }",
       }) {
    auto a = parse_npy(npy_with_header(dict, data));
    ASSERT_TRUE(a.has_value()) << dict << ": " << a.status().message();
    EXPECT_EQ(a->dtype, DType::kUInt8);
    EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  }
  auto native = parse_npy(npy_with_header("{'descr': '=f4', 'fortran_order': False, 'shape': (), }", Bytes(4)));
  ASSERT_TRUE(native.has_value());
  EXPECT_TRUE(native->shape.empty());
}

TEST(NpyTest, RejectsMalformedInput) {
  const std::string ok_prefix = "{'descr': '<f4', 'fortran_order': False, 'shape': ";
  const Bytes four(4);
  EXPECT_ERROR(parse_error({}), StatusCode::kInvalidArgument, "too short");
  EXPECT_ERROR(parse_error(as_bytes("PK\x03\x04 not an npy file at all")), StatusCode::kInvalidArgument, "magic");
  EXPECT_ERROR(parse_error(npy_with_header(ok_prefix + "(1,)}", four, 4)), StatusCode::kUnsupported, "version 4.0");

  Bytes past_end = npy_with_header(ok_prefix + "(1,)}", four);
  past_end[8] = 0xff;
  past_end[9] = 0x7f;
  EXPECT_ERROR(parse_error(past_end), StatusCode::kInvalidArgument, "runs past the end");
  Bytes huge_v2 = npy_with_header(ok_prefix + "(1,)}", four, 2);
  for (int i = 8; i < 12; ++i) huge_v2[i] = 0xff;
  EXPECT_ERROR(parse_error(huge_v2), StatusCode::kInvalidArgument, "runs past the end");

  Bytes truncated = encode_npy(make_array(DType::kFloat32, {10})).value();
  truncated.pop_back();
  EXPECT_ERROR(parse_error(truncated), StatusCode::kInvalidArgument, "truncated");
  EXPECT_ERROR(parse_error(Bytes(truncated.begin(), truncated.begin() + 9)), StatusCode::kInvalidArgument,
               "too short");
  EXPECT_ERROR(parse_error(npy_with_header(ok_prefix + "(1,)}", Bytes(8))), StatusCode::kInvalidArgument,
               "needs 4 data bytes but 8");
  EXPECT_ERROR(parse_error(npy_with_header(ok_prefix + "(1000000,)}", four)), StatusCode::kInvalidArgument,
               "truncated");
}

TEST(NpyTest, RejectsBadHeaders) {
  const std::string ok_prefix = "{'descr': '<f4', 'fortran_order': False, 'shape': ";
  const Bytes four(4);
  struct Case {
    std::string dict;
    StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", StatusCode::kUnsupported, "Fortran"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", StatusCode::kUnsupported, "big-endian"},
      {"{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }", StatusCode::kUnsupported, "'<U1'"},
      {"{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", StatusCode::kInvalidArgument, "byte order"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", StatusCode::kInvalidArgument,
       "quoted string"},
      {ok_prefix + "(4611686018427387904, 4611686018427387904), }", StatusCode::kInvalidArgument, "int64"},
      {ok_prefix + "(2305843009213693952,), }", StatusCode::kInvalidArgument, "int64"},
      {ok_prefix + "(99999999999999999999,), }", StatusCode::kInvalidArgument, "does not fit"},
      {ok_prefix + "(a,), }", StatusCode::kInvalidArgument, "integer"},
      {ok_prefix + "(-1,), }", StatusCode::kInvalidArgument, "integer"},
      {ok_prefix + "(1,; }", StatusCode::kInvalidArgument, "expected"},
      {ok_prefix + "[1], }", StatusCode::kInvalidArgument, "tuple"},
      {ok_prefix + fmt::format("({}), }}", fmt::join(std::vector<int>(65, 1), ",")),
       StatusCode::kInvalidArgument, "more than 64 dimensions"},
      {"{'descr': '<f4', 'shape': (1,), }", StatusCode::kInvalidArgument, "missing"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", StatusCode::kInvalidArgument,
       "duplicate key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", StatusCode::kInvalidArgument,
       "unexpected key"},
      {ok_prefix + "(1,), } junk", StatusCode::kInvalidArgument, "after the closing"},
      {"{'descr': '<f4', 'fortran_order': Fals", StatusCode::kInvalidArgument, "True or False"},
      {"{'descr: '<f4'}", StatusCode::kInvalidArgument, "expected ':'"},
      {"{'descr': '<f4", StatusCode::kInvalidArgument, "unterminated"},
      {"", StatusCode::kInvalidArgument, "expected '{'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.dict);
    EXPECT_ERROR(parse_error(npy_with_header(c.dict, four)), c.code, c.message);
  }
}

TEST(NpyTest, EncodeRejectsWhatNumPyCannotHold) {
  Array bf16{DType::kBFloat16, {2}, Bytes(4)};
  EXPECT_ERROR(encode_npy(bf16).status(), StatusCode::kUnsupported, "bfloat16");
  Array short_data{DType::kFloat32, {3}, Bytes(8)};
  EXPECT_ERROR(encode_npy(short_data).status(), StatusCode::kInvalidArgument, "8 bytes");
  Array negative{DType::kFloat32, {-1}, {}};
  EXPECT_ERROR(encode_npy(negative).status(), StatusCode::kInvalidArgument, "negative");
  Array deep{DType::kUInt8, std::vector<int64_t>(65, 1), Bytes(1)};
  EXPECT_ERROR(encode_npy(deep).status(), StatusCode::kUnsupported, "rank 65");
}

class NpyFileTest : public TempDir {};

TEST_F(NpyFileTest, WritesAndReadsEveryDtype) {
  for (DType dtype : kNpyDtypes) {
    const Array a = make_array(dtype, {3, 2});
    const std::string p = path(std::string(dtype_name(dtype)) + ".npy");
    ASSERT_TRUE(write_npy(p, a).is_ok());
    auto back = read_npy(p);
    ASSERT_TRUE(back.has_value()) << back.status().message();
    expect_same(a, *back);
  }
  EXPECT_EQ(entries().size(), std::size(kNpyDtypes));  // no temporary files left
}

TEST_F(NpyFileTest, ErrorsNameTheFile) {
  const std::string p = path("bad.npy");
  Bytes bytes = encode_npy(make_array(DType::kFloat32, {4})).value();
  bytes.resize(bytes.size() - 3);
  write_file(p, bytes);
  EXPECT_ERROR(read_npy(p).status(), StatusCode::kInvalidArgument, p + ": truncated");
  EXPECT_ERROR(read_npy(path("missing.npy")).status(), StatusCode::kNotFound, "missing.npy");
  EXPECT_ERROR(read_npy(dir_.string()).status(), StatusCode::kInvalidArgument, "not a regular file");
  const std::string fifo = path("fifo.npy");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_ERROR(read_npy(fifo).status(), StatusCode::kInvalidArgument, "not a regular file");  // no hang
}

TEST_F(NpyFileTest, FailedWritesLeaveNothingBehind) {
  const std::string p = path("out.npy");
  const Array old_value = make_array(DType::kInt8, {2});
  ASSERT_TRUE(write_npy(p, old_value).is_ok());
  Array bad{DType::kFloat32, {3}, Bytes(5)};
  EXPECT_FALSE(write_npy(p, bad).is_ok());
  expect_same(read_npy(p).value(), old_value);

  fs::create_directory(path("dir.npy"));
  EXPECT_ERROR(write_npy(path("dir.npy"), old_value), StatusCode::kInvalidArgument, "dir.npy");
  EXPECT_ERROR(write_npy(path("no/such/dir.npy"), old_value), StatusCode::kNotFound, "no/such/dir.npy");
  EXPECT_EQ(entries().size(), 2u);  // out.npy and dir.npy only

  const Array new_value = make_array(DType::kInt64, {3});
  ASSERT_TRUE(write_npy(p, new_value).is_ok());
  expect_same(read_npy(p).value(), new_value);
}

// ---- .npz ------------------------------------------------------------------

class NpzTest : public TempDir {
 protected:
  // Writes a zip through libzip with the given (name, bytes) members, stored.
  void write_raw_zip(const std::string& p, const std::vector<std::pair<std::string, Bytes>>& members) {
    int code = 0;
    zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
    ASSERT_NE(z, nullptr);
    for (const auto& [name, bytes] : members) {
      zip_source_t* src = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
      ASSERT_GE(zip_file_add(z, name.c_str(), src, 0), 0);
    }
    ASSERT_EQ(zip_close(z), 0);
  }
};

// A one-member zip, stored (method 0) with `payload` as its data, whose
// headers declare `declared_size` uncompressed bytes (zip64 when needed).
// Hand-built on purpose: libzip will not write lying sizes.
Bytes handmade_zip(const std::string& name, const Bytes& payload, uint64_t declared_size) {
  const bool zip64 = declared_size >= 0xffffffffu;
  Bytes out;
  auto put = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  auto put_name_and_extra = [&] {
    out.insert(out.end(), name.begin(), name.end());
    if (!zip64) return;
    put(0x0001, 2), put(16, 2), put(declared_size, 8), put(payload.size(), 8);
  };
  const uint32_t crc = static_cast<uint32_t>(crc32(0, payload.data(), static_cast<uInt>(payload.size())));
  const uint64_t small_size = zip64 ? 0xffffffffu : declared_size;
  const uint64_t small_comp = zip64 ? 0xffffffffu : payload.size();
  put(0x04034b50, 4), put(45, 2), put(0, 2), put(0, 2), put(0, 2), put(0x21, 2);
  put(crc, 4), put(small_comp, 4), put(small_size, 4), put(name.size(), 2), put(zip64 ? 20 : 0, 2);
  put_name_and_extra();
  out.insert(out.end(), payload.begin(), payload.end());
  const size_t cd_offset = out.size();
  put(0x02014b50, 4), put(45, 2), put(45, 2), put(0, 2), put(0, 2), put(0, 2), put(0x21, 2);
  put(crc, 4), put(small_comp, 4), put(small_size, 4), put(name.size(), 2), put(zip64 ? 20 : 0, 2);
  put(0, 2), put(0, 2), put(0, 2), put(0, 4), put(0, 4);
  put_name_and_extra();
  const size_t cd_size = out.size() - cd_offset;
  put(0x06054b50, 4), put(0, 2), put(0, 2), put(1, 2), put(1, 2), put(cd_size, 4), put(cd_offset, 4), put(0, 2);
  return out;
}

TEST_F(NpzTest, RoundTripsStoredAndDeflatedInOrder) {
  std::vector<NamedArray> arrays;
  for (DType dtype : kNpyDtypes) {
    arrays.push_back({fmt::format("z_{}", dtype_name(dtype)), make_array(dtype, {4, 3})});
  }
  arrays.push_back({"a_scalar", make_array(DType::kFloat32, {})});
  arrays.push_back({"empty", make_array(DType::kInt32, {0, 5})});
  for (NpzCompression c : {NpzCompression::kStored, NpzCompression::kDeflated}) {
    const std::string p = path(c == NpzCompression::kStored ? "stored.npz" : "deflated.npz");
    ASSERT_TRUE(write_npz(p, arrays, c).is_ok());
    auto back = read_npz(p);
    ASSERT_TRUE(back.has_value()) << back.status().message();
    ASSERT_EQ(back->size(), arrays.size());
    for (size_t i = 0; i < arrays.size(); ++i) {
      EXPECT_EQ((*back)[i].name, arrays[i].name);
      expect_same((*back)[i].array, arrays[i].array);
    }
  }
  EXPECT_EQ(entries().size(), 2u);
}

TEST_F(NpzTest, RejectsBadArgumentsForWriting) {
  const Array a = make_array(DType::kUInt8, {2});
  EXPECT_ERROR(write_npz(path("e.npz"), {}), StatusCode::kInvalidArgument, "no arrays");
  EXPECT_ERROR(write_npz(path("d.npz"), {{"x", a}, {"x", a}}), StatusCode::kInvalidArgument, "duplicate");
  EXPECT_ERROR(write_npz(path("n.npz"), {{"", a}}), StatusCode::kInvalidArgument, "empty name");
  EXPECT_ERROR(write_npz(path("b.npz"), {{"w", Array{DType::kInt4, {2}, Bytes(1)}}}), StatusCode::kUnsupported,
               "array 'w'");
  EXPECT_TRUE(entries().empty());
}

TEST_F(NpzTest, RejectsHostileArchives) {
  const Bytes good = encode_npy(make_array(DType::kFloat32, {8})).value();
  const std::string p = path("bad.npz");

  write_raw_zip(p, {{"x.npy", good}, {"notes.txt", as_bytes("hello")}});
  EXPECT_ERROR(read_npz(p).status(), StatusCode::kInvalidArgument, "member 'notes.txt': not an .npy member");

  write_raw_zip(p, {{"x.npy", Bytes(good.begin(), good.end() - 4)}});
  EXPECT_ERROR(read_npz(p).status(), StatusCode::kInvalidArgument, "member 'x.npy': truncated");

  write_raw_zip(p, {{"a.npy", good}, {"b.npy", good}});
  Bytes renamed = read_file(p);
  for (size_t i = 0; i + 5 <= renamed.size(); ++i) {
    if (std::memcmp(&renamed[i], "b.npy", 5) == 0) renamed[i] = 'a';  // local and central names
  }
  write_file(p, renamed);
  EXPECT_FALSE(read_npz(p).has_value());

  write_file(p, handmade_zip("big.npy", good, uint64_t{5} << 30));
  EXPECT_ERROR(read_npz(p).status(), StatusCode::kInvalidArgument, "over the 4294967296 byte limit");

  write_file(p, handmade_zip("lie.npy", good, good.size() + 100));
  EXPECT_ERROR(read_npz(p).status(), StatusCode::kInvalidArgument, "member 'lie.npy'");

  write_file(p, handmade_zip("ok.npy", good, good.size()));
  EXPECT_TRUE(read_npz(p).has_value());

  ASSERT_TRUE(write_npz(p, {{"x", make_array(DType::kUInt8, {1000})}}).is_ok());
  Bytes bytes = read_file(p);
  bytes[200] ^= 0xff;  // inside the stored data: the CRC no longer matches
  write_file(p, bytes);
  EXPECT_ERROR(read_npz(p).status(), StatusCode::kInvalidArgument, "member 'x.npy'");
  bytes.resize(bytes.size() / 2);
  write_file(p, bytes);
  EXPECT_ERROR(read_npz(p).status(), StatusCode::kInvalidArgument, "not a valid .npz");

  write_file(p, as_bytes("definitely not a zip"));
  EXPECT_ERROR(read_npz(p).status(), StatusCode::kInvalidArgument, "bad.npz: not a valid .npz");
  EXPECT_ERROR(read_npz(path("missing.npz")).status(), StatusCode::kNotFound, "missing.npz");
}

// ---- IDX -------------------------------------------------------------------

class IdxTest : public TempDir {
 protected:
  static Bytes idx_bytes(uint8_t type, const std::vector<uint32_t>& dims, const Bytes& big_endian_data) {
    Bytes out = {0, 0, type, static_cast<uint8_t>(dims.size())};
    for (uint32_t d : dims) {
      for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(d >> s));
    }
    out.insert(out.end(), big_endian_data.begin(), big_endian_data.end());
    return out;
  }
  void write_gz(const std::string& p, const Bytes& bytes) {
    gzFile gz = gzopen(p.c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    ASSERT_EQ(gzclose(gz), Z_OK);
  }
  // Writes `bytes` plain to NAME and gzip-compressed to NAME.gz and to
  // NAME.gzdata (gzip detected by content, not by the name).
  std::vector<std::string> write_variants(const std::string& name, const Bytes& bytes) {
    write_file(path(name), bytes);
    write_gz(path(name + ".gz"), bytes);
    write_gz(path(name + ".gzdata"), bytes);
    return {path(name), path(name + ".gz"), path(name + ".gzdata")};
  }
};

template <typename T>
Bytes big_endian(const std::vector<T>& values) {
  Bytes out;
  for (T v : values) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    for (size_t i = sizeof(T); i-- > 0;) out.push_back(raw[i]);  // host is little-endian
  }
  return out;
}

template <typename T>
void expect_values(const Array& a, DType dtype, const std::vector<T>& values) {
  EXPECT_EQ(a.dtype, dtype);
  ASSERT_EQ(a.data.size(), values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(a.as<T>()[i], values[i]) << i;
}

TEST_F(IdxTest, ReadsEveryTypePlainAndGzip) {
  const std::vector<uint8_t> u8 = {0, 1, 127, 128, 200, 255};
  const std::vector<int8_t> i8 = {-128, -1, 0, 1, 64, 127};
  const std::vector<int16_t> i16 = {-32768, -2, 0, 258, 1000, 32767};
  const std::vector<int32_t> i32 = {-2147483647 - 1, -70000, 0, 1, 16909060, 2147483647};
  const std::vector<float> f32 = {-1.5f, 0.0f, 3.25f, 1e-30f, 6.5e20f, -0.125f};
  const std::vector<double> f64 = {-1.5, 0.0, 3.25, 1e-300, 6.5e200, -0.125};
  const std::vector<uint32_t> dims = {2, 3};
  for (const std::string& p : write_variants("u8.idx", idx_bytes(0x08, dims, big_endian(u8)))) {
    auto a = read_idx(p);
    ASSERT_TRUE(a.has_value()) << a.status().message();
    EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
    expect_values(*a, DType::kUInt8, u8);
  }
  for (const std::string& p : write_variants("i8.idx", idx_bytes(0x09, dims, big_endian(i8)))) {
    expect_values(read_idx(p).value(), DType::kInt8, i8);
  }
  for (const std::string& p : write_variants("i16.idx", idx_bytes(0x0B, dims, big_endian(i16)))) {
    expect_values(read_idx(p).value(), DType::kInt16, i16);
  }
  for (const std::string& p : write_variants("i32.idx", idx_bytes(0x0C, {6}, big_endian(i32)))) {
    expect_values(read_idx(p).value(), DType::kInt32, i32);
  }
  for (const std::string& p : write_variants("f32.idx", idx_bytes(0x0D, {1, 2, 3}, big_endian(f32)))) {
    auto a = read_idx(p).value();
    EXPECT_EQ(a.shape, (std::vector<int64_t>{1, 2, 3}));
    expect_values(a, DType::kFloat32, f32);
  }
  for (const std::string& p : write_variants("f64.idx", idx_bytes(0x0E, dims, big_endian(f64)))) {
    expect_values(read_idx(p).value(), DType::kFloat64, f64);
  }
}

TEST_F(IdxTest, RejectsMalformedFiles) {
  const Bytes six(6, 1);
  struct Case {
    std::string name;
    Bytes bytes;
    std::string message;
  };
  Bytes trailing = idx_bytes(0x08, {6}, six);
  trailing.push_back(0);
  const std::vector<Case> cases = {
      {"empty", {}, "truncated: the IDX header"},
      {"magic", {1, 2, 8, 1, 0, 0, 0, 1, 5}, "magic starts 01 02"},
      {"type", idx_bytes(0x0A, {6}, six), "unknown IDX data type 0x0a"},
      {"zero_dims", idx_bytes(0x08, {}, six), "0 dimensions"},
      {"short_dims", Bytes{0, 0, 8, 3, 0, 0, 0, 2}, "truncated: the IDX dimensions"},
      {"short_data", idx_bytes(0x0C, {6}, six), "truncated"},
      {"trailing", trailing, "unexpected bytes after"},
      {"overflow", idx_bytes(0x08, {0xffffffffu, 0xffffffffu, 0xffffffffu}, six), "int64"},
      {"byte_overflow", idx_bytes(0x0E, {0x40000000u, 0x40000000u}, six), "int64"},
      {"huge", idx_bytes(0x08, {0x10000u, 0x10001u}, six), "truncated"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (const std::string& p : write_variants(c.name, c.bytes)) {
      auto a = read_idx(p);
      ASSERT_FALSE(a.has_value()) << p;
      EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(a.status().message().find(p + ": "), std::string::npos) << a.status().message();
      // A gzip stream of a header declaring 4 GiB + 64 KiB is refused up front.
      const std::string expected = c.name == "huge" && p.find(".gz") != std::string::npos ? "limit" : c.message;
      EXPECT_NE(a.status().message().find(expected), std::string::npos) << a.status().message();
    }
  }
  EXPECT_EQ(read_idx(path("missing.idx")).status().code(), StatusCode::kNotFound);
}

TEST_F(IdxTest, RejectsDamagedGzip) {
  const std::string p = path("damaged.idx.gz");
  Bytes data(5000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * i);
  write_gz(p, idx_bytes(0x08, {50, 100}, data));
  const Bytes good = read_file(p);

  Bytes cut(good.begin(), good.end() - 30);
  write_file(p, cut);
  EXPECT_ERROR(read_idx(p).status(), StatusCode::kInvalidArgument, p + ": ");

  Bytes no_trailer(good.begin(), good.end() - 4);
  write_file(p, no_trailer);
  EXPECT_ERROR(read_idx(p).status(), StatusCode::kInvalidArgument, "decompress");

  Bytes bad_crc = good;
  bad_crc[bad_crc.size() - 6] ^= 0xff;
  write_file(p, bad_crc);
  EXPECT_ERROR(read_idx(p).status(), StatusCode::kInvalidArgument, "decompress");

  Bytes garbage = good;
  for (size_t i = 12; i < garbage.size() - 8; ++i) garbage[i] = static_cast<uint8_t>(i * 7);
  write_file(p, garbage);
  EXPECT_FALSE(read_idx(p).has_value());
}

// ---- Datasets --------------------------------------------------------------

class DatasetTest : public IdxTest {};

TEST_F(DatasetTest, LoadsNpzWithAndWithoutLabels) {
  const Array x = make_array(DType::kFloat32, {5, 2, 2});
  const Array y = make_array(DType::kInt64, {5});
  ASSERT_TRUE(write_npz(path("xy.npz"), {{"meta", make_array(DType::kUInt8, {1})}, {"y", y}, {"x", x}}).is_ok());
  auto d = load_dataset(path("xy.npz"));
  ASSERT_TRUE(d.has_value()) << d.status().message();
  EXPECT_EQ(d->num_samples(), 5);
  expect_same(d->x, x);
  ASSERT_TRUE(d->y.has_value());
  expect_same(*d->y, y);

  ASSERT_TRUE(write_npz(path("x.npz"), {{"x", x}}, NpzCompression::kDeflated).is_ok());
  d = load_dataset(path("x.npz"));
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->y.has_value());

  ASSERT_TRUE(write_npy(path("x.npy"), x).is_ok());
  d = load_dataset(path("x.npy"));
  ASSERT_TRUE(d.has_value());
  expect_same(d->x, x);
}

TEST_F(DatasetTest, LoadsIdxPairAndImagesOnly) {
  Bytes pixels(3 * 2 * 2);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i);
  write_file(path("images.idx"), idx_bytes(0x08, {3, 2, 2}, pixels));
  write_gz(path("labels.idx.gz"), idx_bytes(0x08, {3}, {7, 8, 9}));
  auto d = load_dataset(path("images.idx") + "," + path("labels.idx.gz"));
  ASSERT_TRUE(d.has_value()) << d.status().message();
  EXPECT_EQ(d->x.shape, (std::vector<int64_t>{3, 2, 2}));
  ASSERT_TRUE(d->y.has_value());
  EXPECT_EQ(d->y->data, (Bytes{7, 8, 9}));

  d = load_dataset(path("images.idx"));
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->y.has_value());
}

TEST_F(DatasetTest, RejectsInconsistentDatasets) {
  write_file(path("images.idx"), idx_bytes(0x08, {3, 2}, Bytes(6)));
  write_file(path("labels.idx"), idx_bytes(0x08, {4}, Bytes(4)));
  write_file(path("empty.idx"), idx_bytes(0x08, {0, 2}, {}));
  EXPECT_ERROR(load_dataset(path("images.idx") + "," + path("labels.idx")).status(),
               StatusCode::kInvalidArgument, "y has shape (4) but x has 3 samples");
  EXPECT_ERROR(load_dataset(path("empty.idx")).status(), StatusCode::kInvalidArgument, "no samples");
  EXPECT_ERROR(load_dataset("a,b,c").status(), StatusCode::kInvalidArgument, "IMAGES,LABELS");
  EXPECT_ERROR(load_dataset(",b").status(), StatusCode::kInvalidArgument, "IMAGES,LABELS");
  EXPECT_ERROR(load_dataset(path("images.idx") + "," + path("nope.idx")).status(), StatusCode::kNotFound,
               "nope.idx");

  ASSERT_TRUE(write_npz(path("noy.npz"), {{"a", make_array(DType::kUInt8, {1})}, {"b", make_array(DType::kUInt8, {1})}}).is_ok());
  EXPECT_ERROR(load_dataset(path("noy.npz")).status(), StatusCode::kInvalidArgument,
               "holds arrays 'a', 'b', none of which is for the model's input (unnamed)");
  ASSERT_TRUE(write_npz(path("scalar.npz"), {{"x", make_array(DType::kUInt8, {})}}).is_ok());
  EXPECT_ERROR(load_dataset(path("scalar.npz")).status(), StatusCode::kInvalidArgument, "scalar");
}

TEST_F(DatasetTest, MatchesNpzArraysByInputNameThenXThenTheOnlyArrayThenOrder) {
  const Array a = make_array(DType::kFloat32, {3, 2});
  const Array b = make_array(DType::kInt32, {3, 4});
  const Array y = make_array(DType::kInt64, {3});
  ASSERT_TRUE(write_npz(path("named.npz"), {{"y", y}, {"x", b}, {"serving_input:0", a}}).is_ok());
  auto d = load_dataset(path("named.npz"), "serving_input:0");  // the input's name wins over x
  ASSERT_TRUE(d.has_value()) << d.status().message();
  expect_same(d->x, a);
  ASSERT_TRUE(d->y.has_value());
  expect_same(*d->y, y);
  d = load_dataset(path("named.npz"), "other");  // then x
  ASSERT_TRUE(d.has_value()) << d.status().message();
  expect_same(d->x, b);

  ASSERT_TRUE(write_npz(path("single.npz"), {{"arr_0", a}}).is_ok());  // np.savez(f, a)
  d = load_dataset(path("single.npz"), "in");
  ASSERT_TRUE(d.has_value()) << d.status().message();
  expect_same(d->x, a);
  EXPECT_FALSE(d->y.has_value());
  ASSERT_TRUE(write_npz(path("only_y.npz"), {{"y", y}}).is_ok());  // labels are not samples
  EXPECT_ERROR(load_dataset(path("only_y.npz"), "in").status(), StatusCode::kInvalidArgument,
               "holds arrays 'y', none of which is for the model's input 'in'");

  // Several inputs: by name when every one is there, else in stored order.
  ASSERT_TRUE(write_npz(path("two.npz"), {{"p", a}, {"q", b}}).is_ok());
  auto arrays = read_data_arrays(path("two.npz"), {"q", "p"});
  ASSERT_TRUE(arrays.has_value()) << arrays.status().message();
  ASSERT_EQ(arrays->inputs.size(), 2u);
  expect_same(arrays->inputs[0], b);
  expect_same(arrays->inputs[1], a);
  arrays = read_data_arrays(path("two.npz"), {"in0", "in1"});
  ASSERT_TRUE(arrays.has_value()) << arrays.status().message();
  expect_same(arrays->inputs[0], a);
  expect_same(arrays->inputs[1], b);
  EXPECT_ERROR(read_data_arrays(path("two.npz"), {"in0", "in1", "in2"}).status(), StatusCode::kInvalidArgument,
               "holds arrays 'p', 'q', none of which is for the model's inputs 'in0', 'in1', 'in2'");
  EXPECT_ERROR(load_dataset(path("two.npz"), "in").status(), StatusCode::kInvalidArgument,
               "holds arrays 'p', 'q', none of which is for the model's input 'in'");

  // .npy and IDX files hold one input.
  ASSERT_TRUE(write_npy(path("a.npy"), a).is_ok());
  arrays = read_data_arrays(path("a.npy"), {"in"});
  ASSERT_TRUE(arrays.has_value());
  ASSERT_EQ(arrays->inputs.size(), 1u);
  expect_same(arrays->inputs[0], a);
}

TEST_F(DatasetTest, TellsFormatsApartByContentWhateverTheName) {
  const Array a = make_array(DType::kFloat32, {3, 2});
  const Array y = make_array(DType::kInt64, {3});
  ASSERT_TRUE(write_npy(path("sample.bin"), a).is_ok());  // .npy content, another name
  ASSERT_TRUE(write_npy(path("X.NPY"), a).is_ok());
  ASSERT_TRUE(write_npz(path("DATA.NPZ"), {{"x", a}, {"y", y}}).is_ok());
  ASSERT_TRUE(write_npy(path("a,b.npy"), a).is_ok());  // a comma in an existing file's name
  Bytes pixels(3 * 2);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i + 1);
  write_file(path("plain.idx"), idx_bytes(0x08, {3, 2}, pixels));
  write_file(path("images.raw"), idx_bytes(0x08, {3, 2}, pixels));  // IDX without "idx" in the name
  write_gz(path("images.gz"), idx_bytes(0x08, {3, 2}, pixels));
  for (const char* name : {"sample.bin", "X.NPY", "DATA.NPZ", "a,b.npy"}) {
    SCOPED_TRACE(name);
    auto arrays = read_data_arrays(path(name), {"in"});
    ASSERT_TRUE(arrays.has_value()) << arrays.status().message();
    ASSERT_EQ(arrays->inputs.size(), 1u);
    expect_same(arrays->inputs[0], a);
  }
  for (const char* name : {"plain.idx", "images.raw", "images.gz"}) {
    SCOPED_TRACE(name);
    auto arrays = read_data_arrays(path(name), {"in"});
    ASSERT_TRUE(arrays.has_value()) << arrays.status().message();
    ASSERT_EQ(arrays->inputs.size(), 1u);
    EXPECT_EQ(arrays->inputs[0].dtype, DType::kUInt8);
    EXPECT_EQ(arrays->inputs[0].shape, (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(arrays->inputs[0].data, pixels);
    EXPECT_FALSE(arrays->labels.has_value());
  }
  // Unknown content is read by name, and that reader names what is wrong.
  write_file(path("junk.bin"), as_bytes("not data"));
  EXPECT_ERROR(read_data_arrays(path("junk.bin"), {}).status(), StatusCode::kInvalidArgument, "junk.bin");
  EXPECT_EQ(read_data_arrays(path("missing.npy"), {}).status().code(), StatusCode::kNotFound);
}

TEST_F(DatasetTest, LabelsAreNeverAPositionalInput) {
  const Array a = make_array(DType::kFloat32, {3, 2});
  const Array b = make_array(DType::kInt32, {3, 4});
  const Array y = make_array(DType::kInt64, {3});
  // Two inputs, {x, y}: y is the labels, which leaves one array for two inputs.
  ASSERT_TRUE(write_npz(path("xy.npz"), {{"x", a}, {"y", y}}).is_ok());
  EXPECT_ERROR(read_data_arrays(path("xy.npz"), {"in0", "in1"}).status(), StatusCode::kInvalidArgument,
               "holds arrays 'x', 'y', none of which is for the model's inputs 'in0', 'in1'");
  // The other arrays in stored order, y the labels wherever it is stored.
  ASSERT_TRUE(write_npz(path("pyq.npz"), {{"p", a}, {"y", y}, {"q", b}}).is_ok());
  auto arrays = read_data_arrays(path("pyq.npz"), {"in0", "in1"});
  ASSERT_TRUE(arrays.has_value()) << arrays.status().message();
  ASSERT_EQ(arrays->inputs.size(), 2u);
  expect_same(arrays->inputs[0], a);
  expect_same(arrays->inputs[1], b);
  ASSERT_TRUE(arrays->labels.has_value());
  expect_same(*arrays->labels, y);
  // One input: the only array besides y.
  ASSERT_TRUE(write_npz(path("ay.npz"), {{"y", y}, {"a", a}}).is_ok());
  arrays = read_data_arrays(path("ay.npz"), {"in"});
  ASSERT_TRUE(arrays.has_value()) << arrays.status().message();
  ASSERT_EQ(arrays->inputs.size(), 1u);
  expect_same(arrays->inputs[0], a);
  expect_same(*arrays->labels, y);
  // An input named y takes the array y, which is still the labels too.
  arrays = read_data_arrays(path("pyq.npz"), {"q", "y"});
  ASSERT_TRUE(arrays.has_value()) << arrays.status().message();
  expect_same(arrays->inputs[0], b);
  expect_same(arrays->inputs[1], y);
  expect_same(*arrays->labels, y);
}

TEST(SliceTest, TakesSamplesAndRanges) {
  const Array a = make_array(DType::kInt16, {4, 3});
  auto one = take_sample(a, 2);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->shape, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(one->data, Bytes(a.data.begin() + 12, a.data.begin() + 18));

  auto range = slice_batch(a, 1, 4);
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->shape, (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(range->data, Bytes(a.data.begin() + 6, a.data.end()));

  auto none = slice_batch(a, 4, 4);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(none->data.empty());

  auto vector = take_sample(make_array(DType::kFloat64, {3}), 0);
  ASSERT_TRUE(vector.has_value());
  EXPECT_EQ(vector->shape, std::vector<int64_t>{1});

  EXPECT_ERROR(take_sample(a, 4).status(), StatusCode::kInvalidArgument, "sample 4 is out of range for 4");
  EXPECT_ERROR(take_sample(a, -1).status(), StatusCode::kInvalidArgument, "out of range");
  EXPECT_ERROR(slice_batch(a, 3, 2).status(), StatusCode::kInvalidArgument, "out of range");
  EXPECT_ERROR(take_sample(make_array(DType::kUInt8, {}), 0).status(), StatusCode::kInvalidArgument, "scalar");
  EXPECT_ERROR(take_sample(Array{DType::kUInt8, {2, 2}, Bytes(3)}, 0).status(), StatusCode::kInvalidArgument,
               "does not match");
  EXPECT_ERROR(take_sample(Array{DType::kInt4, {2}, Bytes(1)}, 0).status(), StatusCode::kUnsupported, "int4");
}

TEST(FashionMnistTest, ReadsTheRealTestSet) {
  const std::string images = test::fmnist_file("t10k-images-idx3-ubyte.gz");
  const std::string labels = test::fmnist_file("t10k-labels-idx1-ubyte.gz");
  if (!fs::exists(images) || !fs::exists(labels)) GTEST_SKIP() << "Fashion-MNIST not found in " << test::fmnist_dir();
  auto d = load_dataset(images + "," + labels);
  ASSERT_TRUE(d.has_value()) << d.status().message();
  EXPECT_EQ(d->x.dtype, DType::kUInt8);
  EXPECT_EQ(d->x.shape, (std::vector<int64_t>{10000, 28, 28}));
  ASSERT_TRUE(d->y.has_value());
  EXPECT_EQ(d->y->dtype, DType::kUInt8);
  EXPECT_EQ(d->y->shape, std::vector<int64_t>{10000});
  std::vector<int> per_class(10);
  for (uint8_t label : d->y->data) {
    ASSERT_LT(label, 10);
    ++per_class[label];
  }
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));
  EXPECT_EQ(d->y->data[0], 9);  // the first test image is an ankle boot
  auto first = take_sample(d->x, 0);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->shape, (std::vector<int64_t>{1, 28, 28}));
  uint64_t sum = 0;
  for (uint8_t v : first->data) sum += v;
  EXPECT_EQ(sum, 33456u);  // cross-checked with NumPy
}

}  // namespace
}  // namespace tfc
