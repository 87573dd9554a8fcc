// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IRoamingSettlement} from "../interfaces/IRoamingSettlement.sol";

/// @notice The hook of `HookedReentrantToken`, declared here to keep the mock self-contained.
interface ITransferHookTarget {
    function onTokenTransfer(address from, address to, uint256 value) external;
}

/// @notice The hook switch of `HookedReentrantToken`.
interface IHookSwitch {
    function setHooked(bool on) external;
}

/// @title A supplier run by a contract that misbehaves when it receives tokens
/// @notice Modes: `None` behaves; `ReenterCaught` re-enters `withdraw` from the token callback and
/// records the revert data it got; `ReenterBubbling` re-enters and lets the revert propagate;
/// `RevertOnReceive` refuses every incoming transfer (a receiver that reverts).
contract HostileSupplier is ITransferHookTarget {
    /// @notice Behaviour in the token callback.
    enum Mode {
        None,
        ReenterCaught,
        ReenterBubbling,
        RevertOnReceive
    }

    /// @notice Thrown by the callback in `RevertOnReceive` mode.
    error HostileSupplierRefused();

    IRoamingSettlement private immutable _SETTLEMENT;
    IERC20 private immutable _TOKEN;

    /// @notice Current behaviour.
    Mode public mode;
    /// @notice Amount to withdraw again when re-entering.
    uint256 public reentryAmount;
    /// @notice Number of callbacks seen.
    uint256 public callbacks;
    /// @notice Revert data of the last caught re-entry.
    bytes public lastReentryError;

    constructor(IRoamingSettlement settlement, IERC20 token) {
        _SETTLEMENT = settlement;
        _TOKEN = token;
    }

    /// @notice Sets the behaviour and asks the token for callbacks.
    function setMode(Mode mode_, uint256 reentryAmount_) external {
        mode = mode_;
        reentryAmount = reentryAmount_;
        IHookSwitch(address(_TOKEN)).setHooked(mode_ != Mode.None);
    }

    /// @notice Approves and deposits `amount` of its own tokens.
    function deposit(uint256 amount) external {
        _TOKEN.approve(address(_SETTLEMENT), amount);
        _SETTLEMENT.deposit(amount);
    }

    /// @notice Asks the settlement for a withdrawal of up to `amount`.
    function requestWithdrawal(uint256 amount) external {
        _SETTLEMENT.requestWithdrawal(amount);
    }

    /// @notice Withdraws `amount` from its settlement balance.
    function withdraw(uint256 amount) external {
        _SETTLEMENT.withdraw(amount);
    }

    /// @inheritdoc ITransferHookTarget
    function onTokenTransfer(address, address, uint256) external {
        ++callbacks;
        Mode m = mode;
        if (m == Mode.RevertOnReceive) revert HostileSupplierRefused();
        if (m == Mode.ReenterBubbling) {
            _SETTLEMENT.withdraw(reentryAmount);
        } else if (m == Mode.ReenterCaught) {
            try _SETTLEMENT.withdraw(reentryAmount) {
                lastReentryError = "";
            } catch (bytes memory reason) {
                lastReentryError = reason;
            }
        }
    }
}
