// NeuralNet: see README
