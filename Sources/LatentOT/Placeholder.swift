// LatentOT: see README
