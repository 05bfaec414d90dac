"""ganlab: the small shared toolkit behind every project in this repository.

Each project (mnist_gan, cifar10_gan, sketch2real) keeps its own models and training loop,
and calls into here for the plumbing they all need:

    data        finding and loading datasets (MNIST, CIFAR-10), holding them as one tensor on the device
    images      decoding packed or loose image files once, with a cache in data/cache
    device      picking cpu/cuda, seeding, autocast
    checkpoint  atomic checkpoints with RNG state, released weights in safetensors
    training    opening a run, the shared loop, the NaN guard, a metrics log that survives a resume,
                the EMA update, training throughput
    metrics     Fréchet distance between two sets of features
    plotting    sample grids and loss curves
    export      ONNX export with an onnxruntime parity check
    cli         argparse types that check every flag (paths, numbers, the device) before any slow work
    distributed torchrun / DDP: global batch split over ranks, the same draws on every rank, synchronised
                BatchNorm, rank 0 writes
    gpu_check   the one GPU acceptance command (python -m ganlab.gpu_check), a JSON report
    notebook    the notebooks' smoke / cpu / gpu switch
"""
