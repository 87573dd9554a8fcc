// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EvidenceLedger} from "../../../contracts/EvidenceLedger.sol";
import {IEvidenceLedger} from "../../../contracts/interfaces/IEvidenceLedger.sol";
import {IParticipantRegistry} from "../../../contracts/interfaces/IParticipantRegistry.sol";
import {IRoamingSettlement} from "../../../contracts/interfaces/IRoamingSettlement.sol";
import {ParticipantRegistry} from "../../../contracts/ParticipantRegistry.sol";
import {RoamingSettlement} from "../../../contracts/RoamingSettlement.sol";
import {SettlementTestToken} from "../../../contracts/test/SettlementTestToken.sol";
import {Vm, VM_ADDRESS} from "../utils/Vm.sol";

/// @title Shared set-up of the settlement tests
/// @notice Deploys the registry, the ledger, a test token and the settlement contract; registers
/// suppliers (who may also anchor evidence) and an arbiter; builds claims over small CDR trees.
abstract contract SettlementTestBase {
    /// @notice Thrown by the assertion helpers.
    error AssertionFailed(string what, uint256 actual, uint256 expected);

    Vm internal constant _VM = Vm(VM_ADDRESS);
    uint40 internal constant _WINDOW = 3 days;
    uint40 internal constant _PERIOD_SECONDS = 1 days;
    uint40 internal constant _GRACE = 1 days;
    uint40 internal constant _NOTICE = 6 days;
    /// @dev The tests start at 2026-01-01T00:00:00Z, the first second of period 20454.
    uint40 internal constant _START = 1_767_225_600;
    uint32 internal constant _FIRST_PERIOD = uint32(_START / _PERIOD_SECONDS);
    uint8 internal constant _CDR_KIND = 2;

    ParticipantRegistry internal _registry;
    EvidenceLedger internal _ledger;
    SettlementTestToken internal _token;
    RoamingSettlement internal _settlement;
    address[] internal _suppliers;
    address internal _arbiter;
    uint256 private _salt;

    function _deploy(uint256 supplierCount) internal {
        _registry = new ParticipantRegistry(0, address(this), address(this));
        _ledger = new EvidenceLedger(IParticipantRegistry(address(_registry)));
        _token = new SettlementTestToken();
        _VM.warp(_START);
        _settlement = new RoamingSettlement(
            IParticipantRegistry(address(_registry)),
            IEvidenceLedger(address(_ledger)),
            _token,
            IRoamingSettlement.Timing({
                challengeWindow: _WINDOW,
                periodSeconds: _PERIOD_SECONDS,
                claimGrace: _GRACE,
                withdrawalNotice: _NOTICE
            }),
            0,
            address(this)
        );
        _settlement.grantRole(_settlement.PAUSER_ROLE(), address(this));
        _arbiter = address(0xA4B1);
        _registry.grantRole(_registry.ARBITER_ROLE(), _arbiter);
        for (uint256 i; i < supplierCount; ++i) {
            address s = address(uint160(0x5000 + i));
            _suppliers.push(s);
            _registry.grantRole(_registry.SUPPLIER_ROLE(), s);
            _registry.grantRole(_registry.SUBMITTER_ROLE(), s);
        }
    }

    /// @dev Mints `amount` to `supplier` and deposits it.
    function _fund(address supplier, uint256 amount) internal {
        if (amount == 0) return;
        _token.mint(supplier, amount);
        _VM.startPrank(supplier);
        _token.approve(address(_settlement), amount);
        _settlement.deposit(amount);
        _VM.stopPrank();
    }

    /// @dev Anchors a fresh evidence root as `host`.
    function _anchor(address host) internal returns (bytes32 root) {
        root = keccak256(abi.encode("evidence", ++_salt));
        _VM.prank(host);
        _ledger.anchorBatch(root, 1, _CDR_KIND);
    }

    /// @dev A fresh CDR digest.
    function _digest() internal returns (bytes32) {
        return keccak256(abi.encode("cdr", ++_salt));
    }

    /// @dev Submits a claim over a one-leaf CDR tree (the root is the leaf) and returns its id.
    function _claim(uint32 period, address host, address debtor, uint256 amount) internal returns (uint256) {
        return _claimWithRoot(period, host, debtor, amount, _leaf(_digest(), amount), 1);
    }

    function _claimWithRoot(
        uint32 period,
        address host,
        address debtor,
        uint256 amount,
        bytes32 root,
        uint32 count
    ) internal returns (uint256 claimId) {
        bytes32 evidence = _anchor(host);
        _VM.prank(host);
        claimId = _settlement.submitClaim(period, debtor, amount, root, count, evidence, _packageHash(root));
    }

    /// @dev A stand-in for the hash of the claim package of the tree `root`.
    function _packageHash(bytes32 root) internal pure returns (bytes32) {
        return keccak256(abi.encode("package", root));
    }

    /// @dev StandardMerkleTree leaf of `(cdrDigest, amount)`.
    function _leaf(bytes32 cdrDigest, uint256 amount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(cdrDigest, amount))));
    }

    /// @dev Root of a two-leaf tree (sorted pair hashing, as in StandardMerkleTree).
    function _pair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _sumBalances() internal view returns (uint256 sum) {
        for (uint256 i; i < _suppliers.length; ++i) {
            sum += _settlement.balanceOf(_suppliers[i]);
        }
    }

    function _assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailed(what, actual, expected);
    }

    function _assertLe(uint256 actual, uint256 bound, string memory what) internal pure {
        if (actual > bound) revert AssertionFailed(what, actual, bound);
    }

    function _assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what, 0, 1);
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev `x` mapped into `[lo, hi]`.
    function _bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
