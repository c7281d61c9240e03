// Datasets: images and points from outside, checked and turned into values.
//
// Why it exists: every experiment starts from data on disk (MNIST-style IDX folders, NumPy
// arrays, folders of PNG/JPEG images) or from a toy distribution in the plane. This module reads
// those into `ImageDataset` ([n, c, h, w] Float in [0, 1], optional labels) or flat point arrays,
// and refuses bad bytes with a `DatasetError` that names the file, the field, what was expected,
// what was found, and what to do. It never prints and never writes files: writers (`encode()`)
// return `Data`.
//
// Map:
// - Formats: `Gzip` (zlib, bomb-safe), `IDXArray` (MNIST's IDX), `NumpyArray` (.npy),
//   `NumpyArchive` (.npz), `JPEGDecoder` (libjpeg, errors without setjmp). PNG decoding is
//   injected (`PNGDecoder`), so this module does not depend on ImageFormats' API.
// - Loaders: `IDXDatasetLoader`, `ImageFolderLoader` (+ `ImageResampler`), `DatasetSource.load`.
// - Names: `NamedDataset.resolve("mnist" | "fashion-mnist" | path)` → `DatasetSource`.
//   `mnist` falls back to the project's `data/mnist-5k` (4,000 + 1,000 real MNIST images);
//   `fashion-mnist` comes from Debian's `dataset-fashion-mnist` package.
// - Sampling: `ImageDataset.batches(batchSize:shuffle:using:)`, `Shuffle` (pinned Fisher–Yates),
//   `ToyDistribution` (eight Gaussians, 25 Gaussians, ring, two moons, swiss roll).
