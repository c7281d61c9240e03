// Datasets: see README
