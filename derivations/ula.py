r"""Langevin sampling: ULA's stationary law, its finite-step law, the stable step sizes,
the noise scale, MALA's proposal density and the order of ULA's bias.

Sources: review (seed 003) Section 4, Definition 4.3 (eq. 84), Example 4.1 (eqs. 85–90),
Definition 4.4 (eq. 95); slides (seed 002), Langevin updates with :math:`\sqrt\eta` (slide
"Using an EBM") and :math:`\sqrt{2\eta}` (slides "MCMC sampling is too costly").

Gaussian target :math:`\mathcal N(\mu,\Sigma)`, energy :math:`U=(x-\mu)^\top\Sigma^{-1}(x-\mu)/2`,
ULA with temperature :math:`\tau` (:math:`\tau=1` is eq. 84, :math:`\tau=\tfrac12` the
:math:`\sqrt\eta` slide):

.. math:: X_{k+1}-\mu = A_h (X_k-\mu) + \sqrt{2\tau h}\,\xi_k,\qquad A_h = I - h\Sigma^{-1}.

:math:`A_h` is symmetric and commutes with :math:`\Sigma`, so in the eigenbasis of
:math:`\Sigma` (eigenvalues :math:`\lambda_i`) every coordinate is a scalar AR(1) chain with
coefficient :math:`a_i = 1-h/\lambda_i`. :func:`stationary_covariance` derives this from the update
rule: the update is linear (the gradient of the Gaussian energy, d = 2 with a fully symbolic
:math:`\Sigma`), one step maps the covariance C to :math:`A_hCA_h^\top + 2hI` (sympy.stats, with the
noise's independence and law as named assumptions), and the eigenbasis reduction is shown for a
generic 2×2 rotation; entry (i, j) of the reduced recursion involves coordinates i, j only, and the
orthogonal diagonalization in d > 2 is the one named assumption (``eigenbasis-reduction``).
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy import stats

from ebmcheck.derivations.steps import DEFINITION, Assumption, Derivation, Step

h = sp.Symbol("h", positive=True)  # step size
lam = sp.Symbol("lambda", positive=True)  # an eigenvalue of Σ
tau = sp.Symbol("tau", positive=True)  # temperature: noise sqrt(2 τ h)
k = sp.Symbol("k", positive=True, integer=True)  # number of steps
c0 = sp.Symbol("c_0", positive=True)  # initial variance along the eigenvector
a = sp.Symbol("a", real=True)  # contraction factor 1 - h/λ

SPD = Assumption("sigma-spd", r"\Sigma = \Sigma^\top \succ 0", "Σ is symmetric positive definite")
STABLE = Assumption(
    "step-size-stable",
    r"0 < h < 2\lambda_{\min}(\Sigma)",
    "|1 − h/λ_i| < 1 for every eigenvalue λ_i of Σ, so A_h^k → 0 and the chain has a stationary law",
)
EIGENBASIS = Assumption(
    "eigenbasis-reduction",
    r"\Sigma = Q\,\mathrm{diag}(\lambda)\,Q^\top,\ Q^\top Q = I\ (\text{any } d)",
    "spectral theorem: Σ has an orthonormal eigenbasis Q. The reduction A_h = Q diag(1 − h/λ) Q^T, "
    "Cov(Q^T ξ) = I and C_∞ = Q diag(c_i) Q^T = Σ(I − (h/2)Σ^{-1})^{-1} is derived here for d = 2 with a "
    "generic rotation Q; for d > 2 the same algebra (Q^{-1} = Q^T) is taken as this assumption",
)
INDEPENDENT_NOISE = Assumption(
    "noise-independent",
    r"\xi_k \sim \mathcal N(0, I_d),\ \xi_k \perp X_k",
    "Definition 4.3: the ξ_k are i.i.d. standard normal, and X_k is a function of X_0, ξ_0, …, ξ_{k−1}, "
    "so ξ_k is independent of X_k (E ξ_k = 0, E ξ_k ξ_k^T = I, Cov(X_k, ξ_k) = 0)",
)
GAUSSIAN_STATE = Assumption(
    "state-as-lz",
    r"X_k - \mu = L\,\zeta,\ \zeta \sim \mathcal N(0, I_d),\ C = L L^\top",
    "the state's covariance C is written through a Cholesky factor L (any SPD C has one) of standard "
    "normals ζ, so that sympy.stats can evaluate the moments; the covariance of a linear combination uses "
    "only second moments, so the identity holds for any law of X_k with covariance C (and every X_k is "
    "Gaussian when X_0 is)",
)
FOKKER_PLANCK = Assumption(
    "small-step-fokker-planck",
    r"h \to 0:\ \partial_t p = \partial_x (U' p + \tau\, \partial_x p)",
    "as h → 0 the chain's law follows the Fokker–Planck equation of dX = −∇U dt + √(2τ) dW "
    "(1-D shown); a density with zero flux is stationary",
)
POWER_LAW = Assumption(
    "bias-power-law",
    r"b(h) = C h^{p} (1 + o(1))",
    "the stationary bias of a smooth functional is a power law in h to leading order (C unknown)",
)


@functools.lru_cache(maxsize=None)
def scalar_forms() -> dict[str, sp.Expr]:
    """The per-eigenvalue closed forms (cheap to build; used by theory.samplers)."""
    contraction = 1 - h / lam
    variance = sp.Symbol("c", positive=True)
    stationary_tau = sp.solve(sp.Eq(variance, contraction**2 * variance + 2 * tau * h), variance)[0]
    stationary = sp.factor(stationary_tau.subs(tau, 1))
    noise_k = 2 * tau * h * (1 - a ** (2 * k)) / (1 - a**2)
    return {
        "contraction": contraction,
        "stationary_eigenvalue": stationary,  # 2λ²/(2λ − h) = λ/(1 − h/(2λ))
        "stationary_eigenvalue_tau": sp.factor(stationary_tau),
        "noise_variance_after_k": noise_k,  # in terms of a = 1 − h/λ, a² ≠ 1
        "noise_variance_after_k_marginal": 2 * tau * h * k,  # a² = 1
    }


def _two_by_two():
    s11, s22 = sp.symbols("sigma11 sigma22", positive=True)
    s12 = sp.Symbol("sigma12", real=True)
    sigma = sp.Matrix([[s11, s12], [s12, s22]])
    identity = sp.eye(2)
    precision = sigma.inv()
    transition = identity - h * precision
    eq90 = sigma * (identity - h / 2 * precision).inv()
    c11, c12, c22 = sp.symbols("c11 c12 c22")
    unknown = sp.Matrix([[c11, c12], [c12, c22]])
    residual = transition * unknown * transition.T + 2 * h * identity - unknown
    solution = sp.solve([residual[0, 0], residual[0, 1], residual[1, 1]], [c11, c12, c22], dict=True)[0]
    return sigma, transition, eq90, unknown.subs(solution)


def _update_is_linear(sigma: sp.Matrix, transition: sp.Matrix) -> Step:
    r"""Eq. 84 with the Gaussian energy of Example 4.1 (d = 2, Σ fully symbolic), the gradient kept as
    unevaluated derivatives: :math:`x - h\nabla U(x) + \sqrt{2h}\,\xi - \mu = A_h(x-\mu) + \sqrt{2h}\,\xi`."""
    x = sp.Matrix(sp.symbols("x1 x2", real=True))
    mu = sp.Matrix(sp.symbols("mu1 mu2", real=True))
    xi = sp.Matrix(sp.symbols("xi1 xi2", real=True))
    energy = ((x - mu).T * sigma.inv() * (x - mu))[0] / 2 + sp.log((2 * sp.pi * sigma).det()) / 2
    gradient = sp.Matrix([sp.Derivative(energy, coordinate) for coordinate in x])
    return Step(
        x - h * gradient + sp.sqrt(2 * h) * xi - mu,
        transition * (x - mu) + sp.sqrt(2 * h) * xi,
        "eq. 84 (X_{k+1} = X_k − h∇U(X_k) + √(2h)ξ_k) with U(x) = (x − μ)^T Σ^{-1}(x − μ)/2 + log det(2πΣ)/2 "
        "(Example 4.1), d = 2, Σ fully symbolic: ∇U(x) = Σ^{-1}(x − μ), so X_{k+1} − μ = A_h(X_k − μ) + √(2h)ξ_k "
        "with A_h = I − hΣ^{-1} (eq. 87)",
        (SPD,),
        label="update-linear",
        rests_on=(DEFINITION,),
    )


def _one_step_covariance() -> Step:
    r""":math:`\mathrm{Cov}(A\tilde X + \sqrt{2h}\,\xi) = A C A^\top + 2h I` for a generic 2×2 matrix A.

    :math:`\tilde X = X - \mu = L\zeta` (C = LLᵀ) and ξ are independent standard normal vectors
    (sympy.stats). Each entry Cov(Y_i, Y_j) is expanded by bilinearity (SymPy's
    ``Covariance.expand``) into covariances of single coordinates, which are left unevaluated for
    the page; the check evaluates them from the laws (independence: Cov(ζ_k, ξ_l) = 0; unit
    variances). The expansion is SymPy's bilinearity rule, applied when the step is built and not
    re-checked by it (tests/test_ula.py compares the identity with simulation). Evaluating the
    unexpanded covariances directly costs ~13 s, the expanded ones ~2 s.
    """
    a11, a12, a21, a22 = sp.symbols("a11 a12 a21 a22", real=True)
    l11, l22 = sp.symbols("l11 l22", positive=True)
    l21 = sp.Symbol("l21", real=True)
    transition = sp.Matrix([[a11, a12], [a21, a22]])
    factor = sp.Matrix([[l11, 0], [l21, l22]])
    zeta = sp.Matrix([stats.Normal(f"zeta{i}", 0, 1) for i in (1, 2)])
    xi = sp.Matrix([stats.Normal(f"xi{i}", 0, 1) for i in (1, 2)])
    update = transition * factor * zeta + sp.sqrt(2 * h) * xi

    def bilinear(i: int, j: int) -> sp.Expr:
        expanded = stats.Covariance(update[i], update[j]).expand()
        return sp.collect(expanded, sorted(expanded.atoms(stats.Covariance, stats.Variance), key=str))

    return Step(
        sp.Matrix(2, 2, bilinear),
        transition * (factor * factor.T) * transition.T + 2 * h * sp.eye(2),
        "one step, d = 2, any A: Y = A(X_k − μ) + √(2h)ξ_k with X_k − μ = Lζ (C = LL^T) and ξ_k independent "
        "standard normal; Cov(Y_i, Y_j) expanded by bilinearity into the covariances of single coordinates "
        "(left), which independence and unit variances turn into (A C A^T + 2h I)_{ij} (right)",
        (INDEPENDENT_NOISE, GAUSSIAN_STATE),
        label="one-step-covariance",
        rests_on=("update-linear", DEFINITION),
    )


def _rotation() -> sp.Matrix:
    """A generic 2×2 rotation by an angle φ ∈ (0, π), written with κ = cos φ and sin φ = √(1 − κ²):
    SymPy squares the root to 1 − κ² on its own, so the identities below reduce by ``expand`` (with
    cos φ, sin φ they need ``simplify``, ~30 s)."""
    kappa = sp.Symbol("kappa", real=True)
    sine = sp.sqrt(1 - kappa**2)
    return sp.Matrix([[kappa, -sine], [sine, kappa]])


def _eigenbasis_steps() -> tuple[Step, ...]:
    r"""Any d through the eigenbasis, shown for d = 2: :math:`\Sigma = Q\Lambda Q^\top` with a generic
    rotation Q and eigenvalues λ₁, λ₂. The left-hand sides are the products multiplied out entry by entry
    and not simplified (an unevaluated ``MatMul`` would print better, but SymPy converts it to entries
    through symbolic sums, ~3–6 s a step); the checks reduce them."""
    forms = scalar_forms()
    lam1, lam2 = sp.symbols("lambda_1 lambda_2", positive=True)
    rotation = _rotation()
    identity = sp.eye(2)
    sigma = rotation * sp.diag(lam1, lam2) * rotation.T
    contraction = sp.diag(*(forms["contraction"].subs(lam, value) for value in (lam1, lam2)))
    # in the recursion the eigenvalues a_i = 1 − h/λ_i of A_h enter only as a diagonal matrix: generic symbols
    # keep the identity polynomial (expand decides it at once; with 1 − h/λ_i it takes seconds)
    a1, a2 = sp.symbols("a_1 a_2", real=True)
    diagonal = sp.diag(a1, a2)
    transition = rotation * diagonal * rotation.T  # A_h = Q diag(a_i) Q^T (step "eigenbasis")
    c11, c12, c22 = sp.symbols("ctilde11 ctilde12 ctilde22", real=True)
    rotated = sp.Matrix([[c11, c12], [c12, c22]])  # C̃ = Q^T C Q, the covariance of Q^T(X − μ)
    recursion = diagonal * rotated * diagonal + 2 * h * identity
    stationary = recursion.subs({a1: contraction[0, 0], a2: contraction[1, 1]}) - rotated
    solution = sp.solve([stationary[0, 0], stationary[0, 1], stationary[1, 1]], [c11, c12, c22], dict=True)[0]
    per_eigenvalue = sp.diag(*(lam_i / (1 - h / (2 * lam_i)) for lam_i in (lam1, lam2)))
    return (
        Step(
            rotation.T * (identity - h * sigma.inv()) * rotation,
            contraction,
            "eigenbasis, d = 2: for Σ = QΛQ^T with a generic rotation Q = [[κ, −√(1 − κ²)], [√(1 − κ²), κ]] "
            "(κ = cos φ) and eigenvalues λ_1, λ_2, Q^T(I − hΣ^{-1})Q = diag(1 − h/λ_i): A_h = Q diag(a_i) Q^T",
            (SPD, EIGENBASIS),
            label="eigenbasis",
            rests_on=(DEFINITION,),
        ),
        Step(
            rotation.T * ((transition * (rotation * rotated * rotation.T) * transition.T).applyfunc(sp.expand)
                          + 2 * h * identity) * rotation,
            recursion,
            "the covariance recursion C' = A_h C A_h^T + 2hI (step 2) in the eigenbasis: with A_h = Q diag(a_i) Q^T "
            "(step 5, a_i = 1 − h/λ_i) and C = QC̃Q^T (left: Q^T(A_h C A_h^T + 2hI)Q, A_h C A_h^T multiplied out), Q^T C' Q = diag(a) C̃ diag(a) + 2hI (the isotropic noise "
            "stays isotropic, Q^T Q = I). Entry (i, j) is a_i a_j c̃_ij + 2h δ_ij: it involves coordinates i and j "
            "only, so this 2×2 computation is entry (i, j) of the recursion in any d, and the chain decouples into "
            "scalar AR(1) chains (variance a_i² c̃_ii + 2h) with uncorrelated noises",
            (EIGENBASIS,),
            label="decoupled",
            rests_on=("one-step-covariance", "eigenbasis"),
        ),
        Step(
            rotated.subs(solution),
            per_eigenvalue,
            "stationary: C̃ = diag(a) C̃ diag(a) + 2hI with a_i = 1 − h/λ_i, solved by SymPy: c̃_ii = 2h/(1 − a_i²) "
            "= λ_i/(1 − h/(2λ_i)) and c̃_ij = 0 (i ≠ j), unique because a_i² ≠ 1 and a_i a_j ≠ 1 for stable h",
            (STABLE,),
            label="stationary-eigenbasis",
            rests_on=("decoupled",),
        ),
        Step(
            rotation * per_eigenvalue * rotation.T * (sigma - h / 2 * identity),
            sigma * sigma,
            "back in the original basis: C_∞ = Q diag(λ_i/(1 − h/(2λ_i))) Q^T satisfies C_∞(Σ − (h/2)I) = Σ², "
            "i.e. C_∞ = Σ²(Σ − (h/2)I)^{-1} = Σ(I − (h/2)Σ^{-1})^{-1}, eq. 90 (d = 2 with a generic rotation; any d "
            "under the eigenbasis assumption)",
            (SPD, EIGENBASIS, STABLE),
            label="eq90",
            rests_on=("stationary-eigenbasis", "eigenbasis"),
        ),
    )


def stationary_covariance() -> Derivation:
    r"""Derive eq. 90, :math:`C_\infty = \Sigma(I-\tfrac h2\Sigma^{-1})^{-1}`, and the law of eq. 88,
    from the update rule (eq. 84) and the Gaussian energy: the update is linear (step 1), one step
    maps the covariance C to :math:`A_hCA_h^\top + 2hI` (step 2, sympy.stats), whose stationary
    solution is eq. 90 (steps 3–4 for a fully symbolic 2×2 Σ; steps 5–8 through the eigenbasis,
    which carries the argument to any d)."""
    forms = scalar_forms()
    sigma, transition, eq90, lyapunov_solution = _two_by_two()
    c_k = a ** (2 * k) * c0 + forms["noise_variance_after_k"].subs(tau, 1)
    unit_normal = stats.Normal("Z", 0, 1)
    steps = (
        _update_is_linear(sigma, transition),
        _one_step_covariance(),
        Step(
            lyapunov_solution,
            eq90,
            "2×2, Σ fully symbolic: a stationary law has Cov X_{k+1} = Cov X_k = C, so by steps 1–2 (A = A_h) "
            "C = A_h C A_h^T + 2h I; the unique symmetric solution (solved by SymPy as a linear system) is eq. 90",
            (SPD, STABLE),
            label="lyapunov-2x2",
            rests_on=("one-step-covariance", "update-linear"),
        ),
        Step(
            transition * eq90 * transition.T + 2 * h * sp.eye(2),
            eq90,
            "2×2: eq. 90 is invariant under one ULA step (Cov X_{k+1} = A Cov X_k A^T + 2h I)",
            (SPD,),
            label="eq90-invariant",
            rests_on=("lyapunov-2x2", "one-step-covariance"),
        ),
        *_eigenbasis_steps(),
        Step(
            a**2 * c_k + 2 * h,
            c_k.subs(k, k + 1),
            "finite-step law per eigenvalue: c_k = a^{2k} c_0 + 2h(1 − a^{2k})/(1 − a²) solves "
            "c_{k+1} = a² c_k + 2h (the diagonal of step 6; a = 1 − h/λ, a² ≠ 1); the mean is μ + A_h^k(m_0 − μ)",
            (EIGENBASIS,),
            label="finite-step",
            rests_on=("decoupled",),
        ),
        Step(
            stats.Variance(sp.sqrt(2 * h) * (1 - a**2) ** sp.Rational(-1, 2) * (1 - a ** (2 * k)) ** sp.Rational(1, 2) * unit_normal),
            forms["noise_variance_after_k"].subs(tau, 1),
            "eq. 88's noise term √(2h)(I − A²)^{-1/2}(I − A^{2k})^{1/2}Z, per eigenvalue, has the variance of "
            "step 9 at c_0 = 0 (A symmetric, commuting factors), so eq. 88 is right for a deterministic or "
            "independent X_0",
            (EIGENBASIS, STABLE),
            label="eq88-noise",
            rests_on=("finite-step", DEFINITION),
        ),
    )
    return Derivation(
        "ULA's stationary covariance (eq. 90) and finite-step law (eq. 88) for a Gaussian target",
        steps,
        exports={**forms, "eq90_2x2": eq90},
        notes="For a general start N(m_0, C_0) the covariance after k steps is A^k C_0 A^k + "
        "Q diag(2h(1 − a^{2k})/(1 − a²)) Q^T; theory.samplers evaluates these exported scalar forms "
        "at the eigenvalues of Σ.",
        result="eq90",
    )


def step_size_region() -> Derivation:
    r"""The exact stable set: :math:`|1-h/\lambda_i|<1\ \forall i \iff 0<h<2\lambda_{\min}(\Sigma)`."""
    forms = scalar_forms()
    contraction = forms["contraction"]
    ratio = sp.Symbol("r", positive=True)  # r = h/λ
    stable = sp.solveset(sp.Abs(1 - ratio) < 1, ratio, sp.Interval.open(0, sp.oo))
    c_k = a ** (2 * k) * c0 + forms["noise_variance_after_k"].subs(tau, 1)
    steps = (
        Step(
            contraction**2 - 1,
            h * (h - 2 * lam) / lam**2,
            "a² − 1 < 0 ⇔ h(h − 2λ) < 0 ⇔ 0 < h < 2λ: A_h^k → 0 iff the spectral radius max|1 − h/λ_i| < 1 "
            "(a_i = 1 − h/λ_i: the eigenvalues of A_h = I − hΣ^{-1}, eq. 87)",
            (SPD,),
            label="contraction",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Matrix([sp.Subs(contraction**2 - 1, h, 0), sp.Subs(contraction**2 - 1, h, 2 * lam),
                       sp.Subs(contraction**2 - 1, h, lam)]),
            sp.Matrix([0, 0, -1]),
            "a² − 1, a quadratic in h with positive leading coefficient 1/λ², vanishes at h = 0 and h = 2λ and is "
            "negative between (−1 at h = λ): |a| < 1 exactly for h/λ ∈ (0, 2), the set SymPy's solveset returns "
            "for |1 − r| < 1, r > 0; for all i: 0 < h < 2λ_min(Σ)",
            (SPD,),
            label="stable-set",
            rests_on=("contraction",),
        ),
        Step(
            2 * lam,
            lam,
            "the review's bound λ_min(Σ) is half the exact edge 2λ_min(Σ): the stated condition is "
            "sufficient, not necessary; for λ_min ≤ h < 2λ_min, a ∈ (−1, 0] and the chain is still stable",
            relation="≠",
            label="review-bound",
            rests_on=("stable-set", DEFINITION),
        ),
        Step(
            a**2 * c_k + 2 * h,
            c_k.subs(k, k + 1),
            "the variance after k steps per eigenvalue, c_k = a^{2k} c_0 + 2h(1 − a^{2k})/(1 − a²), solves the "
            "one-step recursion c_{k+1} = a² c_k + 2h that the update rule gives (derived from eq. 84 on "
            "ula-stationary-covariance)",
            label="finite-step",
            rests_on=(DEFINITION,),
        ),
        Step(
            sp.Limit(c_k, a, 1),
            c0 + 2 * h * k,
            "marginal case |a| = 1 (h = 2λ): the variance grows linearly, c_k = c_0 + 2hk; for |a| < 1 "
            "c_k < c_0 + 2hk and for |a| > 1 c_k > c_0 + 2hk (each term a^{2j} below/above 1)",
            label="marginal",
            rests_on=("finite-step", "stable-set"),
        ),
        Step(
            forms["stationary_eigenvalue"],
            2 * lam**2 / (2 * lam - h),
            "the stationary variance 2λ²/(2λ − h) (fixed point of the recursion) is positive exactly for "
            "h < 2λ and blows up at the edge",
            (STABLE,),
            label="stationary-variance",
            rests_on=("finite-step", "stable-set"),
        ),
    )
    return Derivation(
        "Step sizes for which ULA on a Gaussian has a stationary law",
        steps,
        exports={"stable_ratio_set": stable, "edge_factor": stable.sup, "marginal_variance": c0 + 2 * h * k},
        result="stable-set",
    )


def noise_scale() -> Derivation:
    r"""What :math:`X_{\tau+1}=X_\tau-\eta\nabla U+\sqrt{2T\eta}\,\xi` samples (T = 1/2: the √η slide)."""
    forms = scalar_forms()
    stationary_tau = forms["stationary_eigenvalue_tau"]
    x = sp.Symbol("x", real=True)
    energy = sp.Function("U", real=True)(x)
    density = sp.exp(-energy / tau)
    flux = -sp.Derivative(energy, x) * density - tau * sp.Derivative(density, x)
    steps = (
        Step(
            stationary_tau,
            2 * tau * lam**2 / (2 * lam - h),
            "Gaussian target, finite step (h = η), noise √(2τh)ξ: the fixed point of c = a² c + 2τh per "
            "eigenvalue (a = 1 − h/λ; the recursion of ula-stationary-covariance with 2h → 2τh)",
            (SPD, EIGENBASIS, STABLE),
            label="stationary-tau",
            rests_on=(DEFINITION,),
        ),
        Step(sp.Limit(stationary_tau, h, 0), tau * lam, "small-step limit: covariance τΣ", (SPD,),
             label="small-step", rests_on=("stationary-tau",)),
        Step(
            flux,
            0,
            "general U, small-step limit dX = −∇U dt + √(2τ) dW: the Fokker–Planck flux −U'p − τp' "
            "vanishes for p ∝ e^{−U/τ}, so the chain samples ρ^{1/τ}: ρ_θ for √(2η) (τ = 1), ρ_θ² "
            "(normalized) for √η (τ = 1/2)",
            (FOKKER_PLANCK,),
            label="fokker-planck",
            rests_on=(DEFINITION,),
        ),
        Step(
            stationary_tau.subs(tau, sp.Rational(1, 2)),
            forms["stationary_eigenvalue"],
            "the √η chain's stationary covariance differs from the √(2η) chain's (by a factor 1/2)",
            relation="≠",
            label="scales-differ",
            rests_on=("stationary-tau",),
        ),
    )
    return Derivation(
        "The Langevin noise scale: √(2η) samples ρ, √η samples ρ²",
        steps,
        exports={"stationary_eigenvalue_tau": stationary_tau},
    )


def mala() -> Derivation:
    r"""MALA's proposal density, and eq. 95 as printed.

    The ULA move :math:`x' = x - h\nabla U(x) + \sqrt{2h}\xi` has density
    :math:`g(x'|x) = (4\pi h)^{-d/2}\exp(-\|x'-x+h\nabla U(x)\|^2/(4h))`. Eq. 95 prints
    :math:`(2\pi h)^{-d/2}` (integral :math:`2^{d/2}`, not 1) and :math:`U(x)` in place of
    :math:`\nabla U(x)` (the proposal would then depend on the arbitrary constant in U).
    """
    y = sp.Symbol("y", real=True)
    correct = (4 * sp.pi * h) ** sp.Rational(-1, 2) * sp.exp(-(y**2) / (4 * h))
    printed = (2 * sp.pi * h) ** sp.Rational(-1, 2) * sp.exp(-(y**2) / (4 * h))
    x, xp = sp.symbols("x x'", real=True)
    steps = (
        Step(sp.Integral(correct, (y, -sp.oo, sp.oo)), 1,
             "the ULA move's density (4πh)^{-1/2}e^{−y²/(4h)}, y = x' − x + hU'(x) = √(2h)ξ (eq. 84, ξ ~ N(0, 1)), "
             "integrates to 1",
             label="proposal-density", rests_on=(DEFINITION,)),
        Step(sp.Integral(printed, (y, -sp.oo, sp.oo)), sp.sqrt(2), "eq. 95's prefactor (2πh)^{-d/2} gives ∫g = 2^{d/2} (d = 1 shown): not a density; it cancels in the MH ratio",
             erratum="Section 4, Definition 4.4, eq. 95 (prefactor)", label="printed-prefactor", rests_on=(DEFINITION,)),
        Step(
            sp.diff(-(xp - x + h * sp.Function("U")(x)) ** 2 / (4 * h), sp.Symbol("c")).subs(sp.Symbol("c"), 0)
            + sp.diff(-(xp - x + h * (sp.Function("U")(x) + sp.Symbol("c"))) ** 2 / (4 * h), sp.Symbol("c")),
            0,
            "eq. 95 with U(x) in place of ∇U(x) changes when a constant c is added to U: the printed "
            "proposal depends on the arbitrary normalization of the energy",
            relation="≠",
            erratum="Section 4, Definition 4.4, eq. 95 (U(x) for ∇U(x))",
            label="printed-energy",
            rests_on=(DEFINITION,),
        ),
    )
    return Derivation("MALA's proposal density (eq. 95)", steps, exports={"proposal_1d": correct, "printed_1d": printed},
                      result="proposal-density")


def bias_order() -> Derivation:
    r"""ULA's stationary bias is first order in h (Gaussian: exact expansion with remainder; order estimator)."""
    forms = scalar_forms()
    bias = forms["stationary_eigenvalue"] - lam
    p, c = sp.Symbol("p", positive=True), sp.Symbol("C", positive=True)
    steps = (
        Step(
            bias,
            h / 2 + h**2 / (4 * lam) + h**3 / (8 * lam**2 * (1 - h / (2 * lam))),
            "Gaussian: the variance bias 2λ²/(2λ − h) − λ (stationary variance of ula-stationary-covariance) is "
            "h/2 + h²/(4λ) plus an exact remainder of order h³: order 1",
            (STABLE,),
            label="bias-series",
            rests_on=(DEFINITION,),
        ),
        Step(
            c * h**p - c * (h / 2) ** p,
            c * (1 - 2 ** (-p)) * h**p,
            "if b(h) = C h^p (1 + o(1)), the coupled difference D(h) = b(h) − b(h/2) = C(1 − 2^{−p}) h^p has the "
            "same order: the slope of log|D| against log h estimates p without a quadrature reference",
            (POWER_LAW,),
            label="order-estimator",
            rests_on=(DEFINITION,),
            placeholders=(c,),
        ),
    )
    return Derivation("The order of ULA's stationary bias", steps, exports={"order": sp.Integer(1)}, result="bias-series")
