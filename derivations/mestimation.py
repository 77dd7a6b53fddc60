r"""The M-estimator sandwich, derived once (p = 2), as steps other derivations embed.

Setting. :math:`x_1,\dots,x_N \overset{iid}{\sim} p`, a generic per-sample loss :math:`\ell(x;\theta)`,
:math:`\theta\in\mathbb R^2`, the empirical risk :math:`J_N(\theta) = \frac1N\sum_k \ell(x_k;\theta)`, the
estimator :math:`\hat\theta = \arg\min J_N` (the *definition* the chain starts from) and its target
:math:`\theta^* = \arg\min \mathbb{E}\,\ell(x;\theta)`. The two matrices of the result are **defined**
from the loss (not placeholders):

.. math:: H := \mathbb{E}[\nabla^2_\theta\ell(x;\theta^*)], \qquad
          V := \operatorname{Var}[\nabla_\theta\ell(x;\theta^*)] = \mathbb{E}[\nabla\ell\,\nabla\ell^\top] - \mathbb{E}[\nabla\ell]\,\mathbb{E}[\nabla\ell]^\top,

their entries the symbols :data:`H_SYMBOLS`, :data:`V_SYMBOLS` (symmetric 2×2), so that an embedding
derivation substitutes its own matrices (e.g. :math:`H = 2C_1`, :math:`V = 4C_2`).

The chain (labels of :func:`sandwich_steps`, unprefixed):

1. ``ftc``, ``chain`` — Taylor with integral remainder along the segment :math:`\theta^* + t\Delta`,
   :math:`\Delta = \hat\theta - \theta^*`, with :math:`\phi_i(t) := g_i(\theta^*+t\Delta)`, :math:`g_i := \partial_i J_N`
   (generic functions; the link between them is stated, not computed):
   :math:`\nabla J_N(\hat\theta) - \nabla J_N(\theta^*) = \bar H_N\Delta`,
   :math:`\bar H_N = \int_0^1\nabla^2 J_N(\theta^*+t\Delta)\,dt` (the exact vector form of the mean-value step:
   one intermediate :math:`\bar\theta` for all components does not exist in general);
2. ``solve`` — the first-order condition :math:`\nabla J_N(\hat\theta) = 0` of the definition of
   :math:`\hat\theta` turns it into :math:`\sqrt N\Delta = -\bar H_N^{-1}\sqrt N\nabla J_N(\theta^*)`;
3. ``H`` — :math:`\mathbb{E}[\nabla^2 J_N(\theta^*)] = H` (identically distributed terms; the LLN limit of :math:`\bar H_N`);
4. ``iid-cov``, ``V``, ``var-grad`` — :math:`\operatorname{Var}[\sqrt N\nabla J_N(\theta^*)] = V`: covariances of
   distinct samples vanish (independence, derived with :mod:`~ebmcheck.derivations.expectation`), the diagonal
   terms are :math:`V`;
5. ``slutsky`` — :math:`-\bar H_N^{-1}G - (-H^{-1}G) = \bar H_N^{-1}(\bar H_N - H)H^{-1}G \to 0` in probability, so
   :math:`\sqrt N\Delta \to -H^{-1}Z`, :math:`Z\sim\mathcal N(0,V)`;
6. ``cov-linear`` — :math:`\operatorname{Cov}(AZ) = A\operatorname{Cov}(Z)A^\top` for a generic random vector and any
   2×2 :math:`A` (bilinearity, derived in the expectation algebra);
7. ``sandwich`` — with :math:`A = -H^{-1}`: :math:`\sqrt N(\hat\theta-\theta^*) \to \mathcal N(0, H^{-1}VH^{-1})`.

Named assumptions (each on the step that needs it): smoothness, interior minimiser (first-order
condition), invertibility, i.i.d. sample, consistency, LLN, CLT (with :math:`\mathbb{E}\nabla\ell(\theta^*) = 0`
at the minimiser), Slutsky. The limit statements themselves (convergence in probability/distribution)
are these assumptions; every algebraic identity between them is a checked step.
"""

from __future__ import annotations

import dataclasses

import sympy as sp
from ebmcheck.derivations.expectation import E, RandomVariable
from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

SMOOTH = Assumption(
    "loss-smooth", r"\ell(x;\cdot) \in C^2",
    "the per-sample loss is twice continuously differentiable in θ (on the segment from θ* to θ̂)",
)
INTERIOR_MINIMISER = Assumption(
    "interior-minimiser", r"\hat\theta = \arg\min J_N \text{ interior} \Rightarrow \nabla J_N(\hat\theta) = 0",
    "θ̂ minimises J_N at an interior point, so its gradient vanishes there (first-order condition)",
)
INVERTIBLE = Assumption(
    "hessian-invertible", r"\bar H_N,\ H = \mathbb{E}[\nabla^2\ell(x;\theta^*)] \text{ invertible}",
    "the averaged empirical Hessian (with probability → 1) and the expected Hessian at θ* are invertible",
)
IID = Assumption("iid-sample", r"x_1,\dots,x_N \overset{iid}{\sim} p", "the sample is independent and identically distributed")
CONSISTENCY = Assumption("consistency", r"\hat\theta \xrightarrow{P} \theta^*", "the estimator is consistent")
LLN = Assumption(
    "lln", r"\bar H_N \xrightarrow{P} H",
    "law of large numbers for ∇²ℓ (uniform near θ*, e.g. ∇²ℓ dominated and continuous); with consistency "
    "the averaged Hessian on the segment [θ*, θ̂] tends to H",
)
CLT = Assumption(
    "clt", r"\sqrt N \nabla J_N(\theta^*) \xrightarrow{d} Z \sim \mathcal N(0, V),\ \mathbb{E}\nabla\ell(x;\theta^*) = 0",
    "central limit theorem for the i.i.d. gradients, centred because θ* minimises E ℓ (differentiation under "
    "the integral gives E ∇ℓ(θ*) = ∇E ℓ(θ*) = 0), V finite",
)
SLUTSKY = Assumption(
    "slutsky", r"X_N \xrightarrow{d} X,\ Y_N \xrightarrow{P} 0 \Rightarrow X_N + Y_N \xrightarrow{d} X",
    "Slutsky's lemma (and the continuous-mapping theorem for the fixed linear map −H⁻¹)",
)


def _symmetric(name: str) -> sp.Matrix:
    return sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True))


H = _symmetric("H")
"""H := E[∇²ℓ(x;θ*)], entries H_11, H_12, H_22 (defined by the step ``H``)."""
V = _symmetric("V")
"""V := Var[∇ℓ(x;θ*)], entries V_11, V_12, V_22 (defined by the step ``V``)."""
H_SYMBOLS = tuple(sorted(H.free_symbols, key=str))
V_SYMBOLS = tuple(sorted(V.free_symbols, key=str))
SIGMA = H.inv() * V * H.inv()
"""The sandwich H⁻¹VH⁻¹ (the asymptotic covariance of √N(θ̂ − θ*)), in the symbols of H and V."""


def substitution(h: sp.Matrix, v: sp.Matrix) -> dict[sp.Symbol, sp.Expr]:
    """The map H_ij → h_ij, V_ij → v_ij with which an embedding derivation puts its own matrices into
    :data:`SIGMA` (``SIGMA.subs(substitution(2*C1, 4*C2))``); ``h`` and ``v`` must be symmetric."""
    return {sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True): m[i, j]
            for name, m in (("H", h), ("V", v)) for i in range(2) for j in range(i, 2)}


class _Inverse(sp.Inverse):
    """M⁻¹ of an explicit 2×2 matrix, printed as M⁻¹ and evaluated as adj(M)/det(M): SymPy's Inverse
    computes every entry with ``inv()`` and ``simplify`` (about 0.3 s each), too slow for a step check."""

    def _explicit(self):
        matrix = sp.Matrix(self.arg)
        return sp.ImmutableMatrix(matrix.adjugate() / matrix.det())

    def _entry(self, i, j, **kwargs):
        return self._explicit()[i, j]

    def doit(self, **hints):
        return self._explicit()


def shown_inverse(matrix, sign: int = 1) -> sp.MatrixExpr:
    """±matrix⁻¹ kept unevaluated (SymPy would write out the entries of −Inverse(M)), fast to check: an
    embedding derivation shows its own (2C1)⁻¹ with it."""
    inverse = _Inverse(sp.ImmutableMatrix(matrix))
    return inverse if sign > 0 else sp.MatMul(sp.S.NegativeOne, inverse, evaluate=False)


def _shown(*factors) -> sp.MatMul:
    """A matrix product kept unevaluated (the page shows the factors; the check multiplies out)."""
    return sp.MatMul(*factors, evaluate=False)


def sandwich_steps(prefix: str = "") -> tuple[Step, ...]:
    """The steps of the derivation (see the module docstring), labels and ``rests_on`` prefixed by
    ``prefix`` so that another derivation can include them and rest on ``f"{prefix}sandwich"``."""
    steps = _steps()
    if not prefix:
        return steps

    def rename(name: str) -> str:
        return name if name == DEFINITION else prefix + name

    return tuple(dataclasses.replace(s, label=rename(s.label), rests_on=tuple(map(rename, s.rests_on))) for s in steps)


def sandwich_derivation() -> Derivation:
    """The M-estimator sandwich: √N(θ̂ − θ*) → N(0, H⁻¹VH⁻¹), exported as ``sigma`` (with ``H``, ``V``)."""
    return Derivation("M-estimator sandwich", sandwich_steps(), exports={"sigma": SIGMA, "H": H, "V": V},
                      notes=__doc__.split("\n\n")[0], result="sandwich")


def _steps() -> tuple[Step, ...]:
    N = sp.Symbol("N", positive=True, integer=True)
    k = sp.Symbol("k", positive=True, integer=True)
    t = sp.Symbol("t", real=True)
    theta_hat = sp.symbols("thetahat_1:3", real=True)
    theta_star = sp.symbols("theta^*_1:3", real=True)
    delta = sp.Matrix([a - b for a, b in zip(theta_hat, theta_star)])
    root_n = sp.sqrt(N)
    # Taylor along the segment θ* + tΔ: φ_i(t) := ∂_i J_N(θ* + tΔ)
    u = sp.symbols("u_1:3", real=True)
    g = [sp.Function(f"g_{i + 1}")(*u) for i in range(2)]  # g_i := ∂_i J_N, a generic C¹ function
    path = [s + t * d for s, d in zip(theta_star, delta)]
    phi = [sp.Function(f"phi_{i + 1}") for i in range(2)]
    jacobian_along = sp.Matrix(2, 2, lambda i, j: sp.Subs(sp.Derivative(g[i], u[j]), u, path))
    Hbar = _symmetric("Hbar")
    G = sp.Matrix(sp.symbols("G_1:3", real=True))  # G := √N ∇J_N(θ*)
    # the per-sample loss at θ*: x, x_1, x_2, x_k i.i.d. copies (same law p)
    ell = sp.Function("ell")
    x, x1, x2, xk = (RandomVariable(name, "p") for name in ("x", "x_1", "x_2", "x_k"))

    def grad(at):
        return [sp.Derivative(ell(at, *theta_star), s) for s in theta_star]

    def centred(at, i):
        return grad(at)[i] - E(grad(at)[i])

    # a generic random vector Z = (z_1, z_2) (joint density q(z_1) q(z_2|z_1)) and any 2×2 matrix A
    z1 = RandomVariable("z_1", "q")
    z2 = RandomVariable("z_2", "q_2", given=(z1,))
    Z = sp.Matrix([z1, z2])
    A = sp.Matrix(2, 2, sp.symbols("a_11 a_12 a_21 a_22", real=True))
    AZ = A * Z

    def cov(vector):
        return sp.Matrix(2, 2, lambda i, j: E((vector[i] - E(vector[i])) * (vector[j] - E(vector[j]))))

    return (
        Step(sp.Matrix([p(1) - p(0) for p in phi]), sp.Matrix([sp.Integral(sp.Derivative(p(t), t), (t, 0, 1)) for p in phi]),
             "θ̂ = argmin J_N, J_N(θ) = (1/N)Σ_k ℓ(x_k;θ); along the segment θ* + tΔ, Δ = θ̂ − θ*, put "
             "φ_i(t) := ∂_i J_N(θ* + tΔ), so φ_i(1) − φ_i(0) = ∂_i J_N(θ̂) − ∂_i J_N(θ*): the fundamental theorem "
             "of calculus (Taylor with integral remainder)", (SMOOTH,), label="ftc", rests_on=(DEFINITION,)),
        Step(sp.Matrix([sp.Derivative(sp.Subs(gi, u, path), t) for gi in g]), jacobian_along * delta,
             "chain rule, g_i := ∂_i J_N (so ∂_j g_i = ∂_j∂_i J_N): φ'(t) = d/dt ∇J_N(θ* + tΔ) = ∇²J_N(θ* + tΔ) Δ; with the ftc step, "
             "∇J_N(θ̂) − ∇J_N(θ*) = H̄_N Δ, H̄_N := ∫₀¹ ∇²J_N(θ* + tΔ) dt (symmetric)",
             (SMOOTH,), label="chain", rests_on=(DEFINITION,)),
        Step(_shown(shown_inverse(Hbar, -1), root_n * (sp.zeros(2, 1) - sp.ImmutableMatrix(Hbar * delta))),
             root_n * delta,
             "first-order condition ∇J_N(θ̂) = 0 of the definition of θ̂ in ftc + chain: ∇J_N(θ*) = 0 − H̄_N Δ, so "
             "√N(θ̂ − θ*) = −H̄_N⁻¹ √N ∇J_N(θ*) =: −H̄_N⁻¹ G",
             (INTERIOR_MINIMISER, INVERTIBLE), label="solve", rests_on=("ftc", "chain", DEFINITION)),
        Step(sp.Matrix(2, 2, lambda i, j: sp.Sum(E(sp.Derivative(ell(xk, *theta_star), theta_star[i], theta_star[j])),
                                                  (k, 1, N)) / N),
             sp.Matrix(2, 2, lambda i, j: E(sp.Derivative(ell(x, *theta_star), theta_star[i], theta_star[j]))),
             "E[∇²J_N(θ*)] = (1/N)Σ_k E[∇²ℓ(x_k;θ*)] = E[∇²ℓ(x;θ*)] =: H (identically distributed: each term is the "
             "same integral); H̄_N → H by the LLN on the segment [θ*, θ̂] shrinking to θ*",
             (IID, CONSISTENCY, LLN), label="H", rests_on=(DEFINITION,)),
        Step(sp.Matrix(2, 2, lambda i, j: E(centred(x1, i) * centred(x2, j))), sp.zeros(2, 2),
             "independence: Cov(∂_iℓ(x_1;θ*), ∂_jℓ(x_2;θ*)) = 0 for two distinct samples (expectation algebra, rule 5)",
             (IID,), label="iid-cov", rests_on=(DEFINITION,)),
        Step(sp.Matrix(2, 2, lambda i, j: E(centred(x, i) * centred(x, j))),
             sp.Matrix(2, 2, lambda i, j: E(grad(x)[i] * grad(x)[j]) - E(grad(x)[i]) * E(grad(x)[j])),
             "V := Var[∇ℓ(x;θ*)]: Cov(∂_iℓ, ∂_jℓ) = E[∂_iℓ ∂_jℓ] − E[∂_iℓ]E[∂_jℓ] =: V_ij (one sample, any k)",
             label="V", rests_on=(DEFINITION,)),
        Step(sp.Matrix(2, 2, lambda i, j: (N * V[i, j] + (N**2 - N) * E(centred(x1, i) * centred(x2, j))) / N), V,
             "Var[√N ∇J_N(θ*)]_ij = (1/N) Σ_k Σ_l Cov(∂_iℓ(x_k), ∂_jℓ(x_l)): N diagonal terms V_ij and N² − N pairs "
             "k ≠ l of distinct samples, each 0 (iid-cov), so = V_ij", (IID,), label="var-grad", rests_on=("iid-cov", "V")),
        Step(_shown(sp.ImmutableMatrix(Hbar), sp.MatAdd(_shown(shown_inverse(Hbar, -1), sp.ImmutableMatrix(G)),
                                                         _shown(shown_inverse(H), sp.ImmutableMatrix(G)))),
             _shown(sp.ImmutableMatrix(Hbar - H), shown_inverse(H), sp.ImmutableMatrix(G)),
             "H̄_N(√N(θ̂ − θ*) − (−H⁻¹G)) = (H̄_N − H)H⁻¹G (solve: √N(θ̂ − θ*) = −H̄_N⁻¹G), so √N(θ̂ − θ*) + H⁻¹G = H̄_N⁻¹(H̄_N − H)H⁻¹G → 0 in probability: H̄_N − H → 0 (H step) and G = √N ∇J_N(θ*) "
             "is bounded in probability (G → Z ~ N(0, V), V from var-grad); so √N(θ̂ − θ*) → −H⁻¹Z",
             (INVERTIBLE, CLT, SLUTSKY), label="slutsky", rests_on=("solve", "H", "var-grad")),
        Step(cov(AZ), _shown(sp.ImmutableMatrix(A), sp.ImmutableMatrix(cov(Z)), sp.ImmutableMatrix(A.T)),
             "Cov(AZ) = A Cov(Z) Aᵀ for any random vector Z and 2×2 matrix A: bilinearity of the covariance, derived "
             "entry by entry in the expectation algebra (Z with a generic joint density)",
             label="cov-linear", rests_on=(DEFINITION,)),
        Step(_shown(shown_inverse(H, -1), sp.ImmutableMatrix(V), sp.Transpose(shown_inverse(H, -1))),
             _shown(shown_inverse(H), sp.ImmutableMatrix(V), shown_inverse(H)),
             "√N(θ̂ − θ*) → −H⁻¹Z (slutsky), Z ~ N(0, V): a linear map of a normal vector is normal with covariance "
             "A V Aᵀ (cov-linear, A = −H⁻¹), and H symmetric: √N(θ̂ − θ*) → N(0, H⁻¹VH⁻¹)",
             (CLT, SLUTSKY), label="sandwich", rests_on=("slutsky", "cov-linear", "var-grad", "H")),
    )
