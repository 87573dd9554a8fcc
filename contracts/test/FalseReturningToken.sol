// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A token whose transfers can return false instead of reverting
/// @notice Models old tokens that signal failure with a `false` return value; SafeERC20 must turn it
/// into a revert. While `failing` is set, `transfer` and `transferFrom` move nothing and return false.
contract FalseReturningToken is ERC20 {
    /// @notice Whether transfers currently fail by returning false.
    bool public failing;

    constructor() ERC20("False Returning Token", "FALSE") {}

    /// @notice Mints `amount` to `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Switches the failure mode.
    function setFailing(bool failing_) external {
        failing = failing_;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transferFrom(from, to, value);
    }
}
