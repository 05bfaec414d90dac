"""A DCGAN-style GAN for 28x28 MNIST digits, unconditional or conditioned on the digit."""
