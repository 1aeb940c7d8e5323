"""PyTorch twin of bench/train-step.ts: images/s of one ResNet training step (forward, backward,
SGD update) or of inference (--mode infer) on the CPU with a fixed thread count, or on a GPU
(--device cuda; the GPU kit, bench/gpu-kit/, runs it that way). Same layers as runner/src/model (Keras-style
ResNet, convolutions with bias, BN eps 1.001e-5), random data. Prints one JSON line.
Hand-written because Debian's python3-torch ships without torchvision."""
import argparse, json, resource, time
import torch
from torch import nn


def conv(cin, cout, k, s):
    return nn.Conv2d(cin, cout, k, s, padding=(k // 2 if k > 1 else 0), bias=True)


class Basic(nn.Module):
    def __init__(self, cin, f, s):
        super().__init__()
        self.a = nn.Sequential(conv(cin, f, 3, s), nn.BatchNorm2d(f, 1.001e-5), nn.ReLU(),
                               conv(f, f, 3, 1), nn.BatchNorm2d(f, 1.001e-5))
        self.sc = (nn.Sequential(conv(cin, f, 1, s), nn.BatchNorm2d(f, 1.001e-5))
                   if s != 1 or cin != f else nn.Identity())

    def forward(self, x):
        return torch.relu(self.sc(x) + self.a(x))


class Bottleneck(nn.Module):
    def __init__(self, cin, f, s):
        super().__init__()
        self.a = nn.Sequential(conv(cin, f, 1, s), nn.BatchNorm2d(f, 1.001e-5), nn.ReLU(),
                               conv(f, f, 3, 1), nn.BatchNorm2d(f, 1.001e-5), nn.ReLU(),
                               conv(f, 4 * f, 1, 1), nn.BatchNorm2d(4 * f, 1.001e-5))
        self.sc = (nn.Sequential(conv(cin, 4 * f, 1, s), nn.BatchNorm2d(4 * f, 1.001e-5))
                   if s != 1 or cin != 4 * f else nn.Identity())

    def forward(self, x):
        return torch.relu(self.sc(x) + self.a(x))


def resnet(depth, classes):
    block, counts, mult = (Basic, [2, 2, 2, 2], 1) if depth == 18 else (Bottleneck, [3, 4, 6, 3], 4)
    layers = [conv(3, 64, 7, 2), nn.BatchNorm2d(64, 1.001e-5), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for i, (f, n) in enumerate(zip([64, 128, 256, 512], counts)):
        for b in range(n):
            layers.append(block(cin, f, 2 if b == 0 and i > 0 else 1))
            cin = f * mult
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet18")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--mode", default="train", choices=["train", "infer"])
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--case", default="", help="a label copied into the JSON line")
    a = p.parse_args()
    spec = {"case": a.case, "framework": "pytorch", "model": a.model, "px": a.size, "batch": a.batch, "steps": a.steps}
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print(json.dumps({**spec, "error": f"torch {torch.__version__} sees no CUDA device (torch.version.cuda={torch.version.cuda})"}))
        raise SystemExit(1)
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = resnet(18 if a.model == "resnet18" else 50, 10).train().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(a.batch, 3, a.size, a.size, device=dev)
    y = torch.randint(0, 10, (a.batch,), device=dev)

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        with torch.no_grad():
            return model(x).sum().item()

    if a.mode == "infer":
        model.eval()
        step = infer
    step()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(a.steps):
        step()
    secs, cpu = time.perf_counter() - t, time.process_time() - c
    extra = {}
    if dev.type == "cuda":
        # fp32 weights; cuDNN may use TF32 tensor cores for convolutions (PyTorch's default).
        extra = {"device": torch.cuda.get_device_name(dev), "cudnn_tf32": torch.backends.cudnn.allow_tf32,
                 "peak_gpu_mb": torch.cuda.max_memory_allocated(dev) / 2**20}
    print(json.dumps({**spec, **extra, "images_per_s": a.batch * a.steps / secs, "images_per_cpu_s": a.batch * a.steps / cpu,
                      "step_ms": 1000 * secs / a.steps,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "threads": torch.get_num_threads(), "version": torch.__version__}))


if __name__ == "__main__":
    main()
